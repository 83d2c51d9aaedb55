// The reference kernels: the bit-exact specification every optimized kernel is tested against.
// Register only what a model uses (`resolver.add(BuiltinOp::kConv2D, reference::conv_2d())`), or everything
// with register_reference_kernels() on hosts where size does not matter.
#pragma once

#include "edgeinfer/kernel.h"
#include "edgeinfer/op_resolver.h"

namespace edgeinfer {
namespace reference {

// Elementwise arithmetic (kernels/reference/add_sub.cc, mul.cc, div.cc, maximum_minimum.cc)
const Kernel& add();
const Kernel& sub();
const Kernel& mul();
const Kernel& div();
const Kernel& maximum();
const Kernel& minimum();
// Convolutions, fully connected (kernels/reference/conv_2d.cc, ...)
const Kernel& conv_2d();
const Kernel& depthwise_conv_2d();
const Kernel& transpose_conv();
const Kernel& fully_connected();
// Pooling and reductions
const Kernel& average_pool_2d();
const Kernel& max_pool_2d();
const Kernel& mean();
const Kernel& arg_max();
// Activations
const Kernel& softmax();
const Kernel& logistic();
const Kernel& tanh();
const Kernel& relu();
const Kernel& relu6();
const Kernel& leaky_relu();
const Kernel& hard_swish();
// Shape and data movement
const Kernel& pad();
const Kernel& pad_v2();
const Kernel& reshape();
const Kernel& squeeze();
const Kernel& expand_dims();
const Kernel& transpose();
const Kernel& concatenation();
const Kernel& strided_slice();
const Kernel& slice();
const Kernel& split();
const Kernel& pack();
const Kernel& unpack();
const Kernel& shape();
const Kernel& resize_nearest_neighbor();
// Type conversion
const Kernel& quantize();
const Kernel& dequantize();
const Kernel& cast();
// Recurrent
const Kernel& svdf();
const Kernel& unidirectional_sequence_lstm();

// TFLM's Signal library (audio and vibration front ends), custom ops registered under TFLM's names
// (kernels/reference/signal/; options read from each op's FlexBuffers custom_options).
namespace signal {
const Kernel& window();                             // "SignalWindow"
const Kernel& fft_auto_scale();                     // "SignalFftAutoScale"
const Kernel& rfft();                               // "SignalRfft"
const Kernel& irfft();                              // "SignalIrfft"
const Kernel& energy();                             // "SignalEnergy"
const Kernel& filter_bank();                        // "SignalFilterBank"
const Kernel& filter_bank_square_root();            // "SignalFilterBankSquareRoot"
const Kernel& filter_bank_spectral_subtraction();   // "SignalFilterBankSpectralSubtraction"
const Kernel& pcan();                               // "SignalPCAN"
const Kernel& filter_bank_log();                    // "SignalFilterBankLog"
const Kernel& framer();                             // "SignalFramer"
const Kernel& stacker();                            // "SignalStacker"
const Kernel& delay();                              // "SignalDelay"
const Kernel& overlap_add();                        // "SignalOverlapAdd"
}  // namespace signal

}  // namespace reference

// Adds every reference kernel, builtin and custom, to `resolver` (needs room for kNumReferenceKernels entries).
constexpr int kNumReferenceKernels = 64;
Status register_reference_kernels(OpResolver& resolver);

// A resolver holding every reference kernel: convenient on hosts, too large for small firmware.
class AllOpsResolver : public MutableOpResolver<kNumReferenceKernels + 8> {
 public:
  AllOpsResolver();
};

}  // namespace edgeinfer
