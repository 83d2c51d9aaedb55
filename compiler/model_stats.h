// Static facts about a model for reports: op counts, parameters, multiply-accumulates per op.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "edgeinfer/model.h"

namespace edgeinfer::compiler {

struct OpStats {
  int index = 0;
  std::string name;
  int version = 1;
  std::vector<int> inputs;
  std::vector<int> outputs;
  int64_t macs = 0;  // multiply-accumulates of one invoke (0 for ops without any)
};

struct ModelStats {
  std::vector<OpStats> ops;
  std::map<std::string, int> op_counts;
  int64_t parameters = 0;      // elements of constant tensors
  int64_t parameter_bytes = 0;
  int64_t total_macs = 0;
};

ModelStats compute_model_stats(const Model& model);

}  // namespace edgeinfer::compiler
