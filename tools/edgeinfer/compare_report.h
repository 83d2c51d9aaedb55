// How `compare A B` and `quantize --eval` show a host::ModelCompareReport (a test model measured against a
// reference on the same inputs), so both give the same figures in the same form.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "compiler/model_compare.h"

namespace edgeinfer::cli {

// The table of SNR, max abs error and top-1 agreement per output and overall; with `per_layer`, the table
// per tensor (report.layers) and where the error enters; then a note when a figure shown is at the SNR cap.
// Strings from the models are escaped.
std::string model_compare_text(const host::ModelCompareReport& report, bool per_layer);

// "samples", "snr_db", "snr_cap_db", "max_abs_error", "top1_agreement" and "outputs"; with `per_layer`,
// "layers" and "error_enters_at". Strings are as in the models: print with json_text().
nlohmann::json model_compare_json(const host::ModelCompareReport& report, bool per_layer);

}  // namespace edgeinfer::cli
