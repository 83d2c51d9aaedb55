// Graph passes of the optimizer: local rewrites of a Graph that keep what the model computes. Host-only
// (C++20).
//
// Each pass rewrites `g` in place and returns how many rewrites it made (0: graph unchanged). Every pass
// keeps the graph's inputs and outputs: the same tensors, names and shapes, in the same order (tensor
// indices may change, since passes drop tensors nothing refers to any more). A rewrite that would remove
// or rename a graph output is not made.
//
// Numerics: fold_constants, fuse_activations and remove_identity_ops give bit-identical outputs;
// fold_batch_norm scales weights and biases, so float results differ by rounding (reassociation) only.
#pragma once

#include "compiler/graph/graph.h"

namespace edgeinfer::compiler {

// Ops whose inputs are all constants (or omitted) are run once by the runtime's reference kernels and
// their outputs become constants. Not folded: custom ops, ops with state, DEQUANTIZE (a converter keeps
// weights narrow on purpose), ops writing a graph output, outputs above 1M elements, and ops the runtime
// cannot run.
int fold_constants(Graph& g);

// A float RELU / RELU6 / RELU_N1_TO_1 reading the only use of an op's output becomes that op's fused
// activation (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV, ADD, SUB, MUL, DIV,
// AVERAGE_POOL_2D, MAX_POOL_2D) when the composition is one activation (NONE then X = X, RELU then
// RELU6 = RELU6, ...). The producer then writes the activation's output tensor.
int fuse_activations(Graph& g);

// Removes RESHAPEs whose output equals their input (shape, type, quantization) and DEQUANTIZE ->
// QUANTIZE pairs that give back the DEQUANTIZE's input type and quantization exactly. QUANTIZE ->
// DEQUANTIZE rounds, so it stays.
int remove_identity_ops(Graph& g);

// Folds a float MUL, ADD or SUB by a constant per-output-channel operand (shape [C], [1,..,1,C] or one
// value) into the CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED before it (fused activation NONE, output
// read only by that op): W'[c] = W[c] * m[c], b' = b * m + a (b' = b - s for SUB). The MUL/ADD/SUB's
// fused activation moves onto the conv. A missing bias becomes a zero constant named CONV_OUTPUT + "/bias"
// (the name of the tensor the conv wrote); weights or biases shared with other ops are copied first.
int fold_batch_norm(Graph& g);

// Runs every pass above until none rewrites anything more. Returns the total number of rewrites.
int optimize(Graph& g);

}  // namespace edgeinfer::compiler
