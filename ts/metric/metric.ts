// The `mx.metric` namespace: evaluation metrics (MXNet's mx.metric) and create().
// SPDX-License-Identifier: Apache-2.0
export { checkLabelShapes, create, EvalMetric, listMetrics, register } from './base.js';
export type { CustomEval, MetricOptions, MetricSpec, MetricValue } from './base.js';
export { Accuracy, BinaryClassificationStats, F1, MCC, PCC, TopKAccuracy } from './classification.js';
export type { AccuracyOptions, BinaryMetricOptions, TopKAccuracyOptions } from './classification.js';
export { MAE, MSE, PearsonCorrelation, RMSE } from './regression.js';
export type { PearsonOptions } from './regression.js';
export { CrossEntropy, NegativeLogLikelihood, Perplexity } from './probability.js';
export type { CrossEntropyOptions, PerplexityOptions } from './probability.js';
export { Caffe, CompositeEvalMetric, CustomMetric, Loss, np, Torch } from './composite.js';
export type { CompositeOptions, CustomMetricOptions } from './composite.js';
