// Registers every ONNX converter (one file per operator family).
// SPDX-License-Identifier: Apache-2.0
import './elementwise.js';
import './nn.js';
import './reduce.js';
import './rnn.js';
import './shape.js';
import './control.js';
import './attention.js';
import './bitwise.js';
import './vision.js';
import './signal.js';
import './sequence.js';
import './strings.js';
import './image.js';
import './ml.js';
import './training.js';
import './tensor_scatter.js';
import './flex_attention.js';
import './tfidf.js';
import './random.js';
