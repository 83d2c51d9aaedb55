// A trained Network as a float32 .tflite model (batch 1), and back.
//
// Layers map to the ops TensorFlow Lite's converter writes for the Keras equivalents: conv2d -> CONV_2D,
// depthwise -> DEPTHWISE_CONV_2D (multiplier 1), dense -> FULLY_CONNECTED (relu/relu6 fused; softmax as a
// SOFTMAX op after it), maxpool/avgpool -> MAX_POOL_2D/AVERAGE_POOL_2D, globalavgpool -> MEAN over H and W,
// flatten -> RESHAPE, add -> ADD (activation fused) of the current output and the labelled layer's; dropout
// is the identity at inference and writes nothing. batchnorm is folded into the conv2d, depthwise or dense
// op before it, as the converter does: w' = w * gamma / sqrt(moving_var + eps) per output channel,
// b' = (b - moving_mean) * gamma / sqrt(moving_var + eps) + beta, and the batchnorm's activation fused.
// Tensors are named after the parameters ("conv2d_1/weights") and layers ("conv2d_1", also when a batchnorm
// is folded into it).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "compiler/train/layers.h"

namespace edgeinfer::compiler::train {

std::vector<uint8_t> export_tflite(const Network& network);

// The network a float model made of the ops above (in a chain, as export_tflite writes them, where an ADD
// may also read an earlier op's output or the input) describes, with its weights; `seed` seeds the dropout
// stream (the model has no dropout). The lines an ADD reads get labels r1, r2, ...; a folded batchnorm
// comes back as part of its conv2d/depthwise/dense layer. Throws std::invalid_argument naming the first op
// it cannot map.
Network import_tflite(std::span<const uint8_t> model, uint64_t seed);

// Copies the weights of `model`'s CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops, in order, into the
// trainable layers of `network` (e.g. one built from a spec with dropout, to fine-tune). The network's
// batchnorm layers, whose effect the model's weights already include, are set to the identity at inference
// (gamma 1, beta 0, moving mean 0, moving variance 1 - epsilon). Throws std::invalid_argument when the
// numbers or shapes of conv/depthwise/dense layers differ.
void load_parameters(std::span<const uint8_t> model, Network* network);

}  // namespace edgeinfer::compiler::train
