// ONNX signal-processing operators: DFT, STFT, window functions, MelWeightMatrix
// SPDX-License-Identifier: Apache-2.0
import { converter } from '../convert.js';

void converter;
