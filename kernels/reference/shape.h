// SHAPE: the input's dimensions as a 1-D int32 or int64 tensor (out_type).
#pragma once

#include <cstdint>

#include "edgeinfer/tensor.h"

namespace edgeinfer {
namespace reference {

// Writes `input`'s dims to `output` as int32 or int64 (`output_type`).
void shape_values(const Shape& input, DataType output_type, void* output);

}  // namespace reference
}  // namespace edgeinfer
