// ONNX attention-family operators: Attention, RotaryEmbedding and the newer fused attention ops
// SPDX-License-Identifier: Apache-2.0
import { converter } from '../convert.js';

void converter;
