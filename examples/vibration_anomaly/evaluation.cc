#include "examples/vibration_anomaly/evaluation.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

namespace edgeinfer::vibration {
namespace {

bool in_window(double t, double start, double end) {
  return t >= start && t < end;
}

bool in_any_fault_window(const Schedule& s, double t, double grace) {
  for (int i = 0; i < s.count; ++i) {
    const Event& e = s.events[i];
    if (is_fault(e.type) && in_window(t, e.start_s, e.end_s() + grace)) return true;
  }
  return false;
}

bool in_any_drift_window(const Schedule& s, double t, double grace) {
  for (int i = 0; i < s.count; ++i) {
    const Event& e = s.events[i];
    if (e.type == EventType::kDrift && in_window(t, e.start_s, e.end_s() + grace)) return true;
  }
  return false;
}

template <typename T>
void put_optional(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) {
    j[key] = *v;
  } else {
    j[key] = nullptr;
  }
}

}  // namespace

Evaluation evaluate(const Schedule& schedule, std::span<const Alert> alerts, const EvaluationConfig& config) {
  Evaluation ev;
  ev.hours = schedule.duration_s / 3600.0;
  std::vector<Alert> sorted(alerts.begin(), alerts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Alert& a, const Alert& b) { return a.time_s < b.time_s; });

  for (int i = 0; i < schedule.count; ++i) {
    const Event& e = schedule.events[i];
    if (is_fault(e.type)) {
      FaultOutcome f{e.type, e.start_s, e.duration_s, e.severity, std::nullopt, std::nullopt};
      for (const Alert& a : sorted) {
        if (a.kind == AlertKind::kFault && in_window(a.time_s, e.start_s, e.end_s() + config.grace_s)) {
          f.detected_at_s = a.time_s;
          f.delay_s = a.time_s - e.start_s;
          break;
        }
      }
      ev.faults.push_back(f);
    } else if (e.type == EventType::kDrift) {
      DriftOutcome d{e.start_s, e.duration_s, e.severity, std::nullopt, 0};
      for (const Alert& a : sorted) {
        if (!in_window(a.time_s, e.start_s, e.end_s() + config.drift_grace_s)) continue;
        if (a.kind == AlertKind::kDrift && !d.reported_at_s) d.reported_at_s = a.time_s;
        if (a.kind == AlertKind::kFault && !in_any_fault_window(schedule, a.time_s, config.grace_s))
          ++d.fault_alerts;
      }
      ev.drifts.push_back(d);
    }
  }
  std::stable_sort(ev.faults.begin(), ev.faults.end(), [](const FaultOutcome& a, const FaultOutcome& b) {
    return a.injected_at_s < b.injected_at_s;
  });
  std::stable_sort(ev.drifts.begin(), ev.drifts.end(),
                   [](const DriftOutcome& a, const DriftOutcome& b) { return a.start_s < b.start_s; });

  for (const Alert& a : sorted) {
    const bool fault_window = in_any_fault_window(schedule, a.time_s, config.grace_s);
    if (a.kind == AlertKind::kFault) {
      ++ev.fault_alerts;
      if (!fault_window) ++ev.false_alarms;
    } else {
      ++ev.drift_alerts;
      if (!fault_window && !in_any_drift_window(schedule, a.time_s, config.drift_grace_s)) ++ev.false_alarms;
    }
  }
  ev.false_alarms_per_hour = ev.hours > 0 ? ev.false_alarms / ev.hours : 0.0;

  for (const FaultOutcome& f : ev.faults) {
    if (!f.delay_s) {
      ++ev.faults_missed;
      continue;
    }
    ++ev.faults_detected;
    if (!ev.max_delay_s || *f.delay_s > *ev.max_delay_s) ev.max_delay_s = f.delay_s;
  }
  ev.drift_reported = !ev.drifts.empty();
  for (const DriftOutcome& d : ev.drifts) {
    if (!d.reported_at_s) ev.drift_reported = false;
    ev.drift_reported_as_fault += d.fault_alerts;
  }
  ev.drift_never_as_fault = ev.drift_reported_as_fault == 0;
  return ev;
}

std::optional<double> auc(std::span<const double> negatives, std::span<const double> positives) {
  if (negatives.empty() || positives.empty()) return std::nullopt;
  std::vector<std::pair<double, bool>> all;  // (score, positive)
  all.reserve(negatives.size() + positives.size());
  for (double s : negatives) all.emplace_back(s, false);
  for (double s : positives) all.emplace_back(s, true);
  for (const auto& [s, pos] : all) {
    if (std::isnan(s)) return std::nullopt;
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Sum of the positives' ranks (1-based), tied scores sharing their mean rank.
  double rank_sum = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    size_t tied_pos = 0;
    while (j < all.size() && all[j].first == all[i].first) tied_pos += all[j++].second ? 1 : 0;
    const double mean_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1..j
    rank_sum += mean_rank * static_cast<double>(tied_pos);
    i = j;
  }
  const double n_pos = static_cast<double>(positives.size()), n_neg = static_cast<double>(negatives.size());
  return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg);
}

WindowLabel label_window(const Schedule& schedule, double start_s, double end_s,
                         const WindowLabelConfig& config) {
  WindowLabel label;
  bool touches_fault = false, touches_drift = false;
  for (int i = 0; i < schedule.count; ++i) {
    const Event& e = schedule.events[i];
    if (is_fault(e.type)) {
      if (start_s >= e.start_s + config.onset_s && end_s <= e.end_s()) {
        label.cls = WindowClass::kFault;
        label.fault = e.type;
        return label;
      }
      if (start_s < e.end_s() + config.grace_s && end_s > e.start_s) touches_fault = true;
    } else if (e.type == EventType::kDrift) {
      if (start_s < e.end_s() && end_s > e.start_s) touches_drift = true;
    }
  }
  if (!touches_fault && (config.drift_is_healthy || !touches_drift)) label.cls = WindowClass::kHealthy;
  return label;
}

std::vector<FaultTypeAuc> auc_per_fault_type(const Schedule& schedule, std::span<const ScoredWindow> windows,
                                             const WindowLabelConfig& config) {
  std::vector<double> healthy;
  std::vector<double> faulty[kFaultTypeCount];
  for (const ScoredWindow& w : windows) {
    const WindowLabel label = label_window(schedule, w.start_s, w.end_s, config);
    if (label.cls == WindowClass::kHealthy) healthy.push_back(w.score);
    if (label.cls == WindowClass::kFault) faulty[static_cast<int>(label.fault) - 1].push_back(w.score);
  }
  std::vector<FaultTypeAuc> result;
  for (int k = 0; k < kFaultTypeCount; ++k) {
    result.push_back({kFaultTypes[k], static_cast<int>(faulty[k].size()), static_cast<int>(healthy.size()),
                      auc(healthy, faulty[k])});
  }
  return result;
}

void to_json(nlohmann::json& j, const FaultOutcome& x) {
  j = nlohmann::json{{"type", event_type_name(x.type)},
                     {"injected_at_s", x.injected_at_s},
                     {"duration_s", x.duration_s},
                     {"severity", x.severity}};
  put_optional(j, "detected_at_s", x.detected_at_s);
  put_optional(j, "delay_s", x.delay_s);
}

void to_json(nlohmann::json& j, const DriftOutcome& x) {
  j = nlohmann::json{{"start_s", x.start_s}, {"duration_s", x.duration_s}, {"severity", x.severity}};
  put_optional(j, "reported_at_s", x.reported_at_s);
  j["fault_alerts"] = x.fault_alerts;
}

void to_json(nlohmann::json& j, const Evaluation& x) {
  j = nlohmann::json{{"hours", x.hours},
                     {"faults", x.faults},
                     {"drifts", x.drifts},
                     {"fault_alerts", x.fault_alerts},
                     {"drift_alerts", x.drift_alerts},
                     {"faults_detected", x.faults_detected},
                     {"faults_missed", x.faults_missed},
                     {"false_alarms", x.false_alarms},
                     {"false_alarms_per_hour", x.false_alarms_per_hour},
                     {"drift_reported", x.drift_reported},
                     {"drift_reported_as_fault", x.drift_reported_as_fault},
                     {"drift_never_as_fault", x.drift_never_as_fault}};
  put_optional(j, "max_delay_s", x.max_delay_s);
}

void to_json(nlohmann::json& j, const FaultTypeAuc& x) {
  j = nlohmann::json{
      {"type", event_type_name(x.type)}, {"positives", x.positives}, {"negatives", x.negatives}};
  put_optional(j, "auc", x.auc);
}

}  // namespace edgeinfer::vibration
