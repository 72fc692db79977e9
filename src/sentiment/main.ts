import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { runService } from '../platform/service/run-service.js';
import { loadServiceConfig } from '../platform/service/service-config.js';
import { loadSentimentConfig } from './sentiment.config.js';
import { SentimentModule } from './sentiment.module.js';

const config = loadServiceConfig(process.env, 'sentiment', 3004);
const sentiment = loadSentimentConfig(process.env);

// runService takes a module class; the sentiment module is dynamic (built from config).
@Module({ imports: [SentimentModule.forRoot(config, sentiment)] })
class SentimentAppModule {}

await runService(SentimentAppModule, {
  config,
  title: 'Sentiment API',
  description:
    'Sentiment of comments (comments.submitted → comments.analyzed): the analysis of a comment, and ' +
    'counts and mean score per label, source and minute. Reads need scope comments:read.',
});
