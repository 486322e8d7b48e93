// ONNX sampling and detection operators: GridSample, AffineGrid, RoiAlign, NonMaxSuppression, MaxUnpool, Col2Im, DeformConv
// SPDX-License-Identifier: Apache-2.0
import { converter } from '../convert.js';

void converter;
