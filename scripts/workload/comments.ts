import { randomUUID } from 'node:crypto';
import { type CommentSubmitted } from '../../src/platform/schemas/generated.js';
import { type Rng } from './random.js';

export type Language = 'en' | 'pt';
export type Sentiment = 'positive' | 'negative' | 'neutral';

interface Bank {
  readonly subjects: readonly string[];
  readonly openers: Readonly<Record<Sentiment, readonly string[]>>;
  readonly predicates: Readonly<Record<Sentiment, readonly string[]>>;
  readonly closers: Readonly<Record<Sentiment, readonly string[]>>;
}

/**
 * A small hand-written phrase bank (no dataset text): subjects, predicates and closers combined
 * into customer comments about a fintech app, in English and Brazilian Portuguese, with some
 * negation, intensifiers, emoji and typos as people write them.
 */
export const PHRASES: Readonly<Record<Language, Bank>> = {
  en: {
    subjects: [
      'the app',
      'the new update',
      'checkout',
      'customer support',
      'the card',
      'the transfer screen',
      'the statement page',
      'delivery of my new card',
      'the savings feature',
      'login with face id',
    ],
    openers: {
      positive: ['Honestly,', 'Wow,', 'So far', 'I have to say', ''],
      negative: ['Ugh,', 'Seriously,', 'Once again', 'Honestly,', ''],
      neutral: ['FYI', 'Just noting that', 'Apparently', ''],
    },
    predicates: {
      positive: [
        'works perfectly',
        'is fantastic',
        'saved me so much time',
        'is really easy to use',
        'is not bad at all',
        'got my problem solved in minutes',
        'is the best I have used',
      ],
      negative: [
        'keeps crashing',
        'is a total waste of time',
        'charged me twice',
        'is not working again',
        'never answers',
        'is painfully slow',
        'lost my transfer',
      ],
      neutral: [
        'was updated yesterday',
        'has a new layout',
        'asks for my zip code',
        'shows the balance in dollars',
        'arrived on Tuesday',
        'is available on weekends',
      ],
    },
    closers: {
      positive: ['!', '. Thanks!', ' 👍', '. Love it.', '.'],
      negative: ['.', '!!', '. Fix it please.', ' 😡', '. Really disappointed.'],
      neutral: ['.', '', '. Any news?'],
    },
  },
  pt: {
    subjects: [
      'o aplicativo',
      'a nova atualização',
      'o pagamento',
      'o atendimento',
      'o cartão',
      'a tela de transferência',
      'o extrato',
      'a entrega do cartão novo',
      'o pix',
      'o login por biometria',
    ],
    openers: {
      positive: ['Sinceramente,', 'Nossa,', 'Até agora', 'Tenho que dizer que', ''],
      negative: ['Affs,', 'Sério,', 'De novo', 'Sinceramente,', ''],
      neutral: ['Só avisando que', 'Pelo visto', 'Informação:', ''],
    },
    predicates: {
      positive: [
        'funciona perfeitamente',
        'é excelente',
        'me ajudou muito',
        'é muito fácil de usar',
        'não é nada mal',
        'resolveu meu problema rapidinho',
        'é o melhor que já usei',
      ],
      negative: [
        'trava o tempo todo',
        'é uma porcaria',
        'me cobrou duas vezes',
        'não funciona de novo',
        'nunca responde',
        'está muito lento',
        'perdeu minha transferência',
      ],
      neutral: [
        'foi atualizado ontem',
        'tem um layout novo',
        'pede o meu CEP',
        'mostra o saldo em reais',
        'chegou na terça-feira',
        'funciona no fim de semana',
      ],
    },
    closers: {
      positive: ['!', '. Obrigado!', ' 👍', '. Adorei.', '.'],
      negative: ['.', '!!', '. Resolvam isso.', ' 😡', '. Muito decepcionado.'],
      neutral: ['.', '', '. Alguma novidade?'],
    },
  },
};

/** Comment sources with their own sentiment mix, so the per-source trend differs. */
export const COMMENT_SOURCES: Readonly<Record<string, Readonly<Record<Sentiment, number>>>> = {
  'app-store': { positive: 55, negative: 30, neutral: 15 },
  'play-store': { positive: 45, negative: 40, neutral: 15 },
  support: { positive: 20, negative: 60, neutral: 20 },
  twitter: { positive: 35, negative: 45, neutral: 20 },
  survey: { positive: 50, negative: 20, neutral: 30 },
};

const AUTHORS = [
  'ana',
  'bruno',
  'carla',
  'diego',
  'emma',
  'felipe',
  'grace',
  'hugo',
  'julia',
  'liam',
];

export interface GeneratedComment {
  readonly language: Language;
  /** The sentiment the phrase was built to express (the classifier decides the label). */
  readonly intended: Sentiment;
  /** A re-submission of an earlier comment id (analysis is idempotent on it). */
  readonly duplicate: boolean;
  readonly value: CommentSubmitted;
}

export class CommentGenerator {
  private readonly recent: CommentSubmitted[] = [];
  private seq = 0;

  constructor(
    private readonly rng: Rng,
    private readonly runId: string,
    private readonly options: {
      readonly portugueseShare: number;
      readonly duplicateShare: number;
      /** Share of comments sent without a language hint (the service detects it). */
      readonly noHintShare: number;
    } = { portugueseShare: 0.4, duplicateShare: 0.02, noHintShare: 0.3 },
    private readonly now: () => number = Date.now,
  ) {}

  next(): GeneratedComment {
    if (this.recent.length > 0 && this.rng.chance(this.options.duplicateShare)) {
      const original = this.rng.pick(this.recent);
      return {
        language: (original.metadata?.['language'] ?? 'en') as Language,
        intended: (original.metadata?.['intended'] ?? 'neutral') as Sentiment,
        duplicate: true,
        value: { ...original, eventId: randomUUID() },
      };
    }
    const language: Language = this.rng.chance(this.options.portugueseShare) ? 'pt' : 'en';
    const source = this.rng.pick(Object.keys(COMMENT_SOURCES));
    const intended = this.rng.weighted(COMMENT_SOURCES[source] as Record<Sentiment, number>);
    const text = compose(PHRASES[language], intended, this.rng);
    this.seq += 1;
    const value: CommentSubmitted = {
      eventId: randomUUID(),
      commentId: `wl-${this.runId}-${this.seq}`,
      source,
      author: this.rng.chance(0.7) ? `@${this.rng.pick(AUTHORS)}${this.rng.int(1, 99)}` : null,
      text,
      languageHint: this.rng.chance(this.options.noHintShare) ? null : language,
      submittedAt: this.now(),
      metadata: { generator: 'streamline-workload', language, intended },
    };
    this.recent.push(value);
    if (this.recent.length > 1000) this.recent.shift();
    return { language, intended, duplicate: false, value };
  }
}

/** One comment from the bank: opener, subject, predicate, closer; sometimes two clauses. */
export function compose(bank: Bank, sentiment: Sentiment, rng: Rng): string {
  const clause = (): string => `${rng.pick(bank.subjects)} ${rng.pick(bank.predicates[sentiment])}`;
  const opener = rng.pick(bank.openers[sentiment]);
  let body = clause();
  if (rng.chance(0.25)) body = `${body}, ${bank === PHRASES.pt ? 'e' : 'and'} ${clause()}`;
  const sentence = opener ? `${opener} ${body}` : body.charAt(0).toUpperCase() + body.slice(1);
  let text = `${sentence}${rng.pick(bank.closers[sentiment])}`;
  if (rng.chance(0.05)) text = text.toLowerCase();
  if (rng.chance(0.03)) text = text.toUpperCase();
  return text;
}
