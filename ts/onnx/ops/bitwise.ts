// ONNX bit operators and quantisation: BitShift, Bitwise*, BitCast, (De)QuantizeLinear, QLinear*
// SPDX-License-Identifier: Apache-2.0
import { converter } from '../convert.js';

void converter;
