// Optimized int8 kernels for Cortex-M cores with the DSP extension (SMLAD, SXTB16, QADD through arm_acle.h;
// portable C++ with identical results elsewhere, see dsp.h). Each is a drop-in replacement for the reference
// kernel of the same op: same prepare() checks, byte-identical outputs; types or shapes without a fast path
// (float32, int16) run the reference code. Register them after (or instead of) the reference kernels:
//
//   resolver.add(BuiltinOp::kConv2D, cortex_m::conv_2d());
//
// Firmware picks them at build time (tests/firmware: EI_KERNELS=optimized, the default on DSP cores).
#pragma once

#include "edgeinfer/kernel.h"
#include "edgeinfer/ops.h"

namespace edgeinfer {
namespace cortex_m {

const Kernel& conv_2d();
const Kernel& depthwise_conv_2d();
const Kernel& fully_connected();
const Kernel& average_pool_2d();
const Kernel& add();

// Every optimized kernel with its op, for code that registers them all (the host's `edgeinfer inspect
// --kernels optimized`). Firmware registers only its model's ops (tests/firmware, EI_OPTIMIZED_OPS), so that
// unused kernels are not linked.
struct OpKernel {
  BuiltinOp op;
  const Kernel& (*kernel)();
};
inline constexpr OpKernel kOptimizedKernels[] = {{BuiltinOp::kConv2D, conv_2d},
                                                 {BuiltinOp::kDepthwiseConv2D, depthwise_conv_2d},
                                                 {BuiltinOp::kFullyConnected, fully_connected},
                                                 {BuiltinOp::kAveragePool2D, average_pool_2d},
                                                 {BuiltinOp::kAdd, add}};

}  // namespace cortex_m
}  // namespace edgeinfer
