#include "tools/edgeinfer/compare_report.h"

#include <cmath>
#include <cstdio>
#include <optional>

#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {
namespace {

nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::string top1_text(const std::optional<double>& value) {
  char text[32];
  if (!value) return "n/a";
  std::snprintf(text, sizeof(text), "%.4f", *value);
  return text;
}

// "in 0" for model input 0, else the op index.
std::string layer_op_text(const host::LayerComparison& layer) {
  return layer.op < 0 ? "in " + std::to_string(layer.slot) : std::to_string(layer.op);
}

std::string entry_text(const host::ModelCompareReport& report) {
  if (report.error_enters_at < 0) return "error enters at: nowhere (no op's SNR drops below its inputs')";
  const host::LayerComparison& layer = report.layers[report.error_enters_at];
  std::string text;
  appendf(text, "error enters at op %d (%s), tensor %d '%s': %.2f dB, %.2f dB below its inputs'", layer.op,
          printable(layer.op_name).c_str(), layer.tensor, printable(layer.name).c_str(), layer.stats.snr_db(),
          report.error_enters_drop_db);
  return text;
}

}  // namespace

std::string model_compare_text(const host::ModelCompareReport& r, bool per_layer) {
  std::string text;
  bool capped = false;
  auto snr = [&](const host::ErrorStats& stats) {
    capped = capped || std::fabs(stats.snr_db()) == host::kSnrCapDb;
    return stats.snr_db();
  };
  appendf(text, "%-8s %8s %9s %14s %7s  %s\n", "output", "values", "SNR dB", "max abs error", "top-1",
          "name");
  for (const auto& output : r.outputs)
    appendf(text, "%-8d %8lld %9.2f %14.6g %7s  '%s'\n", output.output, static_cast<long long>(output.values),
            snr(output.stats), output.stats.max_abs_error, top1_text(output.top1_agreement()).c_str(),
            printable(output.name).c_str());
  appendf(text, "%-8s %8s %9.2f %14.6g %7s\n", "overall", "", snr(r.overall), r.max_abs_error(),
          top1_text(r.top1_agreement()).c_str());
  if (per_layer) {
    appendf(text,
            "\nper tensor of the reference, in execution order (matched in the test by name, else op and "
            "slot):\n");
    appendf(text, "%-6s %-24s %7s %9s %-18s %-8s %9s %14s  %s\n", "op", "op name", "tensor", "values", "type",
            "match", "SNR dB", "max abs error", "name");
    for (const auto& layer : r.layers) {
      if (layer.test_tensor < 0) {
        appendf(text, "%-6s %-24s %7d %9lld %-18s %-8s %9s %14s  '%s'\n", layer_op_text(layer).c_str(),
                printable(layer.op_name).c_str(), layer.tensor, static_cast<long long>(layer.values),
                layer.type.c_str(), "none", "-", "-", printable(layer.name).c_str());
        continue;
      }
      appendf(text, "%-6s %-24s %7d %9lld %-18s %-8s %9.2f %14.6g  '%s'\n", layer_op_text(layer).c_str(),
              printable(layer.op_name).c_str(), layer.tensor, static_cast<long long>(layer.values),
              layer.type.c_str(), layer.matched_by.c_str(), snr(layer.stats), layer.stats.max_abs_error,
              printable(layer.name).c_str());
    }
    text += entry_text(r) + "\n";
  }
  if (capped)
    appendf(text, "SNR is capped at +-%.0f dB: +%.0f means identical values\n", host::kSnrCapDb,
            host::kSnrCapDb);
  return text;
}

nlohmann::json model_compare_json(const host::ModelCompareReport& r, bool per_layer) {
  nlohmann::json outputs = nlohmann::json::array();
  for (const auto& output : r.outputs)
    outputs.push_back({{"output", output.output},
                       {"name", output.name},
                       {"test_name", output.test_name},
                       {"values", output.values},
                       {"snr_db", output.stats.snr_db()},
                       {"max_abs_error", output.stats.max_abs_error},
                       {"top1_agreement", optional_json(output.top1_agreement())}});
  nlohmann::json json = {{"samples", r.samples},
                         {"snr_db", r.snr_db()},
                         {"snr_cap_db", host::kSnrCapDb},
                         {"max_abs_error", r.max_abs_error()},
                         {"top1_agreement", optional_json(r.top1_agreement())},
                         {"outputs", outputs}};
  if (!per_layer) return json;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& layer : r.layers) {
    nlohmann::json row = {
        {"op", layer.op},         {"op_name", layer.op_name}, {"slot", layer.slot},
        {"tensor", layer.tensor}, {"name", layer.name},       {"type", layer.type},
        {"values", layer.values}, {"test_op", layer.test_op}, {"test_tensor", layer.test_tensor},
        {"matched_by", nullptr},  {"snr_db", nullptr},        {"max_abs_error", nullptr}};
    if (layer.test_tensor >= 0) {
      row["matched_by"] = layer.matched_by;
      row["snr_db"] = layer.stats.snr_db();
      row["max_abs_error"] = layer.stats.max_abs_error;
    }
    layers.push_back(row);
  }
  json["layers"] = layers;
  json["error_enters_at"] = nullptr;
  if (r.error_enters_at >= 0) {
    const auto& layer = r.layers[r.error_enters_at];
    json["error_enters_at"] = {
        {"op", layer.op},     {"op_name", layer.op_name},       {"tensor", layer.tensor},
        {"name", layer.name}, {"snr_db", layer.stats.snr_db()}, {"drop_db", r.error_enters_drop_db}};
  }
  return json;
}

}  // namespace edgeinfer::cli
