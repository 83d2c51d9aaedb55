#include "kernels/reference/resize_nearest_neighbor.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {

int32_t nearest_neighbor_index(int32_t output_index, int32_t input_size, int32_t output_size,
                               const ResizeNearestNeighborParams& params) {
  // Single-precision throughout, as TensorFlow Lite computes it: the scale's rounding decides which pixel
  // is nearest at exact halves.
  const float scale = (params.align_corners && output_size > 1)
                          ? static_cast<float>(input_size - 1) / static_cast<float>(output_size - 1)
                          : static_cast<float>(input_size) / static_cast<float>(output_size);
  const float offset = params.half_pixel_centers ? 0.5f : 0.0f;
  const float source = (static_cast<float>(output_index) + offset) * scale;
  // std::round rounds halves away from zero, like TfLiteRound.
  int32_t index = params.align_corners ? static_cast<int32_t>(std::round(source))
                                       : static_cast<int32_t>(std::floor(source));
  index = std::min(index, input_size - 1);
  if (params.half_pixel_centers) index = std::max<int32_t>(0, index);
  return index;
}

void resize_nearest_neighbor_data(const ResizeNearestNeighborParams& params, const Shape& input_shape,
                                  const void* input, const Shape& output_shape, size_t element_bytes,
                                  void* output) {
  const int32_t batches = input_shape.dims[0];
  const int32_t in_height = input_shape.dims[1];
  const int32_t in_width = input_shape.dims[2];
  const int32_t depth = input_shape.dims[3];
  const int32_t out_height = output_shape.dims[1];
  const int32_t out_width = output_shape.dims[2];
  const size_t pixel_bytes = static_cast<size_t>(depth) * element_bytes;
  const size_t row_bytes = static_cast<size_t>(in_width) * pixel_bytes;
  const size_t image_bytes = static_cast<size_t>(in_height) * row_bytes;
  if (pixel_bytes == 0) return;
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t y = 0; y < out_height; ++y) {
      const int32_t in_y = nearest_neighbor_index(y, in_height, out_height, params);
      const uint8_t* row = in + b * image_bytes + static_cast<size_t>(in_y) * row_bytes;
      for (int32_t x = 0; x < out_width; ++x) {
        const int32_t in_x = nearest_neighbor_index(x, in_width, out_width, params);
        std::memcpy(out, row + static_cast<size_t>(in_x) * pixel_bytes, pixel_bytes);
        out += pixel_bytes;
      }
    }
  }
}

namespace {

struct ResizeOpData {
  ResizeNearestNeighborParams params;
};

Status resize_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  const size_t element_bytes = data_type_size(input.type);
  if (element_bytes == 0)
    return Status::error(StatusCode::kUnsupported, "type %s is not supported", data_type_name(input.type));
  if (input.shape.rank != 4)
    return Status::error(StatusCode::kInvalidModel, "input has rank %d, expected 4",
                         static_cast<int>(input.shape.rank));
  const Tensor size_tensor = context.input(1);
  if (size_tensor.type != DataType::kInt32 || size_tensor.shape.rank != 1 || size_tensor.shape.dims[0] != 2)
    return Status::error(StatusCode::kInvalidModel, "size must be an int32 tensor of shape [2]");
  int64_t size[2];
  int count = 0;
  EI_RETURN_IF_ERROR(read_index_tensor(size_tensor, "size", true, size, 2, &count));
  if (size[0] < 0 || size[1] < 0)
    return Status::error(StatusCode::kInvalidModel, "size (%ld, %ld) is negative", static_cast<long>(size[0]),
                         static_cast<long>(size[1]));
  Shape expected = input.shape;
  expected.dims[1] = static_cast<int32_t>(size[0]);
  expected.dims[2] = static_cast<int32_t>(size[1]);
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));
  // Every output pixel reads some input pixel: an empty input can only give an empty output.
  if (output.num_elements() > 0 && input.num_elements() == 0)
    return Status::error(StatusCode::kInvalidModel, "empty input resized to a non-empty output");

  auto* data = static_cast<ResizeOpData*>(context.allocate_persistent(sizeof(ResizeOpData)));
  if (data == nullptr) return context.arena_full_error();
  if (const auto* options = context.op()->builtin_options_as_ResizeNearestNeighborOptions()) {
    data->params.align_corners = options->align_corners();
    data->params.half_pixel_centers = options->half_pixel_centers();
  }
  context.set_op_data(data);
  return Status::ok();
}

Status resize_eval(KernelContext& context) {
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  resize_nearest_neighbor_data(context.op_data_as<ResizeOpData>()->params, input.shape, input.data,
                               output.shape, data_type_size(input.type), output.data);
  return Status::ok();
}

}  // namespace

const Kernel& resize_nearest_neighbor() {
  static const Kernel kernel = {"reference/resize_nearest_neighbor", resize_prepare, resize_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
