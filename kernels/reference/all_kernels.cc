#include "edgeinfer/kernels.h"

#include <initializer_list>

namespace edgeinfer {

Status register_reference_kernels(OpResolver& resolver) {
  struct Entry {
    BuiltinOp op;
    const Kernel& (*kernel)();
  };
  // Each kernel family adds its lines here.
  const std::initializer_list<Entry> entries = {
      {BuiltinOp::kPad, reference::pad},
      {BuiltinOp::kPadV2, reference::pad_v2},
      {BuiltinOp::kReshape, reference::reshape},
      {BuiltinOp::kSqueeze, reference::squeeze},
      {BuiltinOp::kExpandDims, reference::expand_dims},
      {BuiltinOp::kTranspose, reference::transpose},
      {BuiltinOp::kConcatenation, reference::concatenation},
      {BuiltinOp::kStridedSlice, reference::strided_slice},
      {BuiltinOp::kSlice, reference::slice},
      {BuiltinOp::kSplit, reference::split},
      {BuiltinOp::kPack, reference::pack},
      {BuiltinOp::kUnpack, reference::unpack},
      {BuiltinOp::kShape, reference::shape},
      {BuiltinOp::kResizeNearestNeighbor, reference::resize_nearest_neighbor},
      {BuiltinOp::kAdd, reference::add},
      {BuiltinOp::kSub, reference::sub},
      {BuiltinOp::kMul, reference::mul},
      {BuiltinOp::kDiv, reference::div},
      {BuiltinOp::kMaximum, reference::maximum},
      {BuiltinOp::kMinimum, reference::minimum},
      {BuiltinOp::kQuantize, reference::quantize},
      {BuiltinOp::kDequantize, reference::dequantize},
      {BuiltinOp::kCast, reference::cast},
      {BuiltinOp::kSvdf, reference::svdf},
      {BuiltinOp::kUnidirectionalSequenceLstm, reference::unidirectional_sequence_lstm},
      {BuiltinOp::kSoftmax, reference::softmax},
      {BuiltinOp::kLogistic, reference::logistic},
      {BuiltinOp::kTanh, reference::tanh},
      {BuiltinOp::kRelu, reference::relu},
      {BuiltinOp::kRelu6, reference::relu6},
      {BuiltinOp::kLeakyRelu, reference::leaky_relu},
      {BuiltinOp::kHardSwish, reference::hard_swish},
      {BuiltinOp::kAveragePool2D, reference::average_pool_2d},
      {BuiltinOp::kMaxPool2D, reference::max_pool_2d},
      {BuiltinOp::kMean, reference::mean},
      {BuiltinOp::kArgMax, reference::arg_max},
      {BuiltinOp::kConv2D, reference::conv_2d},
      {BuiltinOp::kDepthwiseConv2D, reference::depthwise_conv_2d},
      {BuiltinOp::kTransposeConv, reference::transpose_conv},
      {BuiltinOp::kFullyConnected, reference::fully_connected},
  };
  for (const Entry& entry : entries) {
    EI_RETURN_IF_ERROR(resolver.add(entry.op, entry.kernel()));
  }
  struct CustomEntry {
    const char* name;
    const Kernel& (*kernel)();
  };
  // Custom ops under the names their models use. Each Signal op adds its line here.
  const std::initializer_list<CustomEntry> custom_entries = {
      {"SignalWindow", reference::signal::window},
      {"SignalFftAutoScale", reference::signal::fft_auto_scale},
      {"SignalRfft", reference::signal::rfft},
      {"SignalIrfft", reference::signal::irfft},
      {"SignalEnergy", reference::signal::energy},
      {"SignalFramer", reference::signal::framer},
      {"SignalOverlapAdd", reference::signal::overlap_add},
      {"SignalFilterBank", reference::signal::filter_bank},
      {"SignalFilterBankSquareRoot", reference::signal::filter_bank_square_root},
      {"SignalFilterBankSpectralSubtraction", reference::signal::filter_bank_spectral_subtraction},
      {"SignalPCAN", reference::signal::pcan},
      {"SignalFilterBankLog", reference::signal::filter_bank_log},
      {"SignalStacker", reference::signal::stacker},
      {"SignalDelay", reference::signal::delay},
  };
  for (const CustomEntry& entry : custom_entries) {
    EI_RETURN_IF_ERROR(resolver.add_custom(entry.name, entry.kernel()));
  }
  return Status::ok();
}

// Registration cannot fail here (the capacity covers every kernel); a failure would be a programming error
// that the kernel tests catch, since they resolve through this class.
AllOpsResolver::AllOpsResolver() { (void)register_reference_kernels(*this); }

}  // namespace edgeinfer
