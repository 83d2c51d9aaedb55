// edgeinfer demo vibration: the flagship, predictive maintenance at the edge. A simulated rotating machine
// (examples/vibration_anomaly/machine_simulator.h) feeds the device pipeline (vibration_monitor.h: window,
// features, gate, int8 autoencoder, fault and drift alerts, statistics); only alerts and periodic reports
// would leave the device. The anomaly model is trained on normal data only, by our own tools: this command
// simulates a healthy machine, writes its standardized model inputs, runs `edgeinfer train --autoencoder` and
// `edgeinfer quantize` on them (the same steps examples/vibration_anomaly/train_model.sh runs), and sets the
// alert threshold from the int8 model's scores on that normal data. Then it runs the scenario: faults at
// seeded times, slow drift episodes, and scores itself against the simulator's ground truth. Alerts go
// upstream as they happen and statistics every --report-every simulated seconds, over MQTT
// (tools/edgeinfer/demo_upstream.h).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "compiler/host_runner.h"
#include "compiler/npy.h"
#include "edgeinfer/kernels.h"
#include "examples/vibration_anomaly/evaluation.h"
#include "examples/vibration_anomaly/machine_simulator.h"
#include "examples/vibration_anomaly/vibration_monitor.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/demo_upstream.h"
#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/output_file.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {

struct VibrationDemoOptions {
  double hours = 24;
  uint64_t seed = 1;
  double speed = 0;  // simulated seconds per wall-clock second; 0: as fast as possible
  bool json = false;
  std::string model;          // an int8 (or float) autoencoder to use instead of training one
  std::string export_normal;  // write the normal training data (and the SPEC) to this directory, then stop
  std::string trace;          // per-window CSV
  std::string save_detector;  // write the model and the detector's parameters here (e.g. for firmware)
  double train_hours = 8;
  int epochs = 40;
  double report_every_s = 600;
  UpstreamOptions upstream;
};

namespace {

namespace fs = std::filesystem;
namespace vib = edgeinfer::vibration;

// The autoencoder: 30 level-invariant inputs squeezed through 6 values and back.
constexpr const char* kAutoencoderSpec =
    "# The vibration flagship's anomaly model: 30 standardized level-invariant inputs -> 6 -> 30.\n"
    "input 30\n"
    "dense 16 relu\n"
    "dense 6 relu\n"
    "dense 16 relu\n"
    "dense 30 none\n";
// The normal data comes from its own seed, never one of the scenario's.
constexpr uint64_t kTrainingSeed = 0x7A11EDull;
// The threshold: this quantile of the int8 model's scores on the normal data, times the margin.
constexpr double kThresholdQuantile = 0.999;
constexpr double kThresholdMargin = 6.0;

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The normal data is recorded as a commissioning run would: the machine swept through its whole speed range
// (20-30 Hz) under varying load, so that the model knows every healthy operating point.
vib::MachineConfig commissioning_machine() {
  vib::MachineConfig c;
  c.speed_swing_hz = 4.5f;
  c.speed_swing_period_s = 1800;
  c.load_walk = 0.3f;
  return c;
}

struct NormalData {
  std::vector<float> inputs;  // windows x kModelInputs, raw
  std::vector<float> levels;
  vib::DetectorParams params;  // standardization and level baseline (threshold set later)
  int windows = 0;
};

// Simulates `hours` of a healthy machine and collects the monitor's model inputs per window.
NormalData collect_normal_data(double hours) {
  vib::Schedule healthy;  // no events
  healthy.duration_s = hours * 3600;
  vib::MachineSimulator sim(commissioning_machine(), &healthy, kTrainingSeed);
  if (!sim.ok()) throw CliError{std::string("simulator: ") + sim.error()};
  auto monitor = std::make_unique<vib::VibrationMonitor>();
  vib::DetectorParams unit;
  std::fill(std::begin(unit.input_std), std::end(unit.input_std), 1.0f);
  if (!monitor->init(vib::MonitorConfig(), unit, nullptr)) throw CliError{monitor->error()};
  NormalData data;
  std::vector<float> frames(vib::kHopFrames * vib::kAxes);
  const int64_t hops = static_cast<int64_t>(hours * 3600 * 1024 / vib::kHopFrames);
  for (int64_t h = 0; h < hops; ++h) {
    sim.generate(frames.data(), vib::kHopFrames);
    int done = 0;
    while (done < vib::kHopFrames) {
      vib::WindowResult r;
      bool window = false;
      done += monitor->push(frames.data() + done * vib::kAxes, vib::kHopFrames - done, 0, &r, &window);
      if (window && r.inputs != nullptr && !r.gated_out) {
        data.inputs.insert(data.inputs.end(), r.inputs, r.inputs + vib::kModelInputs);
        data.levels.push_back(r.level);
        ++data.windows;
      }
    }
  }
  if (data.windows < 100) throw CliError{"too little normal data: simulate at least 0.1 hours"};
  for (int i = 0; i < vib::kModelInputs; ++i) {
    double sum = 0, squares = 0;
    for (int w = 0; w < data.windows; ++w) sum += data.inputs[w * vib::kModelInputs + i];
    const double mean = sum / data.windows;
    for (int w = 0; w < data.windows; ++w) {
      const double d = data.inputs[w * vib::kModelInputs + i] - mean;
      squares += d * d;
    }
    data.params.input_mean[i] = static_cast<float>(mean);
    data.params.input_std[i] = static_cast<float>(std::max(std::sqrt(squares / data.windows), 1e-3));
  }
  return data;
}

// Writes the standardized inputs as a .npy ([windows, 30] float32) and the SPEC beside it.
void write_training_files(const NormalData& data, const fs::path& dir) {
  fs::create_directories(dir);
  host::NpyArray array;
  array.shape = {data.windows, vib::kModelInputs};
  array.values.resize(data.inputs.size());
  for (int w = 0; w < data.windows; ++w)
    for (int i = 0; i < vib::kModelInputs; ++i)
      array.values[w * vib::kModelInputs + i] =
          (data.inputs[w * vib::kModelInputs + i] - data.params.input_mean[i]) / data.params.input_std[i];
  std::string error;
  if (!host::write_npy((dir / "normal.npy").string(), array, &error)) throw CliError{error};
  OutputFile spec((dir / "autoencoder.spec").string());
  spec.write(kAutoencoderSpec, std::char_traits<char>::length(kAutoencoderSpec));
  spec.commit();
}

// Runs this executable with `args` (no shell), its output to `log`; throws with the log's last line on
// failure.
void run_self(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv_strings = {fs::read_symlink("/proc/self/exe").string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (rc != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string last;
    if (auto text = host::read_file(log.string(), nullptr)) {
      std::string s(text->begin(), text->end());
      while (!s.empty() && s.back() == '\n') s.pop_back();
      last = s.substr(s.rfind('\n') == std::string::npos ? 0 : s.rfind('\n') + 1);
    }
    throw CliError{"edgeinfer " + args[0] + " failed (" + log.string() + "): " + last};
  }
}

struct LoadedDetector {
  host::LoadedModel model;
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  std::vector<uint8_t> bytes;
};

std::unique_ptr<LoadedDetector> load_detector(const std::vector<uint8_t>& bytes, const std::string& name) {
  auto d = std::make_unique<LoadedDetector>();
  d->bytes = bytes;
  Status status = d->model.load_bytes(bytes.data(), bytes.size());
  if (status.is_ok()) status = d->runner.init(d->model.model(), d->resolver);
  if (!status.is_ok()) throw CliError{name + ": " + status.message()};
  return d;
}

// The int8 model's scores on the normal data set the threshold.
float threshold_from_normal(const NormalData& data, Interpreter& interpreter, std::vector<float>* scores) {
  // Scores through a monitor so that the quantization of inputs is the device's.
  auto monitor = std::make_unique<vib::VibrationMonitor>();
  vib::DetectorParams params = data.params;
  params.score_threshold = 1;
  if (!monitor->init(vib::MonitorConfig(), params, &interpreter)) throw CliError{monitor->error()};
  scores->clear();
  for (int w = 0; w < data.windows; ++w) {
    float s = 0;
    if (!monitor->score_inputs(&data.inputs[w * vib::kModelInputs], &s))
      throw CliError{"model invoke failed"};
    scores->push_back(s);
  }
  std::vector<float> sorted = *scores;
  std::sort(sorted.begin(), sorted.end());
  const size_t k = std::min(sorted.size() - 1, static_cast<size_t>(kThresholdQuantile * sorted.size()));
  return static_cast<float>(sorted[k] * kThresholdMargin);
}

double rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

// Names model input i for explanations, e.g. "y 26-43 Hz share" or "z kurtosis".
std::string input_name(const edge::VibrationFeatures& f, int i) {
  const char axis = "xyz"[i / vib::kInputsPerAxis];
  const int k = i % vib::kInputsPerAxis;
  char text[64];
  if (k < vib::kBands)
    std::snprintf(text, sizeof text, "%c %.0f-%.0f Hz share", axis, f.band_low_hz(k), f.band_high_hz(k));
  else
    std::snprintf(text, sizeof text, "%c %s", axis, k == vib::kBands ? "crest factor" : "kurtosis");
  return text;
}

// The two inputs furthest from the normal data (in standard deviations), for the alert's explanation: as
// text, and as JSON [{"input": name, "sd": z}, ...] in `top`.
std::string explain(const edge::VibrationFeatures& f, const float* inputs, const vib::DetectorParams& p,
                    nlohmann::json* top) {
  std::vector<std::pair<float, int>> z;
  for (int i = 0; i < vib::kModelInputs; ++i)
    z.push_back({(inputs[i] - p.input_mean[i]) / p.input_std[i], i});
  std::sort(z.begin(), z.end(), [](auto& a, auto& b) { return std::fabs(a.first) > std::fabs(b.first); });
  std::string text;
  *top = nlohmann::json::array();
  for (int j = 0; j < 2; ++j) {
    char part[96];
    const std::string name = input_name(f, z[j].second);
    std::snprintf(part, sizeof part, "%s%s %+.1f sd", j ? ", " : "", name.c_str(), z[j].first);
    text += part;
    top->push_back({{"input", name}, {"sd", rounded(z[j].first, 2)}});
  }
  return text;
}

// One statistics report: the interval's counts and the device's running statistics.
// `interval_seconds` is the wall time the pipeline took over the interval's windows.
nlohmann::json statistics_report(double now_s, int64_t interval_windows, int64_t interval_alerts,
                                 double interval_seconds, const vib::VibrationMonitor& monitor,
                                 const vib::WindowResult& last) {
  const edge::InferenceStatsSnapshot s = monitor.stats().snapshot();
  return {{"time_s", std::round(now_s)},
          {"windows", interval_windows},
          {"alerts", interval_alerts},
          {"us_per_window", interval_windows ? rounded(1e6 * interval_seconds / interval_windows, 1) : 0.0},
          {"inferences_total", s.inferences},
          {"gated_out_total", s.gated_out},
          {"anomalies_total", s.anomalies},
          {"score_mean", rounded(s.score_mean, 4)},
          {"level", rounded(last.level, 4)},
          {"level_offset", rounded(last.drift_statistic, 4)}};
}

// One line on what went upstream and what the subscriber saw.
std::string upstream_summary(const nlohmann::json& r) {
  if (r["broker"].is_null()) return "not sent (offline)";
  std::string text = std::to_string(r.value("published", 0)) + " published to " +
                     r["broker"].get<std::string>() + ", " + std::to_string(r.value("acknowledged", 0)) +
                     " acknowledged";
  if (r.value("still_queued", 0) > 0)
    text += ", " + std::to_string(r.value("still_queued", 0)) + " still queued in " +
            r.value("queue", std::string()) + " (sent on the next run)";
  if (r.value("dropped", 0) > 0)
    text += ", " + std::to_string(r.value("dropped", 0)) + " dropped at the queue bound";
  if (r.contains("subscriber")) {
    const auto& s = r["subscriber"];
    text += "; the subscriber received " + std::to_string(s.value("received", 0)) + " (lost " +
            std::to_string(s.value("lost", 0)) + ", duplicates dropped " +
            std::to_string(s.value("duplicates", 0)) + ")";
  }
  return text;
}

std::string clock_text(double seconds) {
  char text[32];
  const long s = static_cast<long>(seconds);
  std::snprintf(text, sizeof text, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return text;
}

int run_vibration_demo(const VibrationDemoOptions& o) {
  if (!(o.hours > 0 && o.hours <= 24 * 14)) throw CliError{"--hours must be in (0, 336]"};
  if (!(o.speed >= 0)) throw CliError{"--speed must be >= 0"};
  if (!(o.train_hours >= 0.1 && o.train_hours <= 48)) throw CliError{"--train-hours must be in [0.1, 48]"};
  if (o.epochs < 1 || o.epochs > 1000) throw CliError{"--epochs must be in [1, 1000]"};
  if (!(o.report_every_s >= 10)) throw CliError{"--report-every must be >= 10 seconds"};
  const bool text = !o.json;
  auto say = [&](const char* fmt, auto... args) {
    if (text) std::printf(fmt, args...);
  };
  std::optional<std::vector<uint8_t>> model_bytes;
  if (!o.model.empty()) {  // before the minutes of work, so that a wrong path fails at once
    std::string error;
    model_bytes = host::read_file(o.model, &error);
    if (!model_bytes) throw CliError{error};
  }

  // Connects first: a wrong broker address or device id fails before the minutes of work.
  std::unique_ptr<DemoUpstream> upstream;
  if (o.export_normal.empty()) {
    DemoUpstream::validate(o.upstream);  // one line for a bad option, before any other output
    say("EdgeInfer flagship: predictive maintenance at the edge (simulated 3-axis accelerometer, 1024 "
        "Hz)\n\n");
    std::fflush(stdout);
    UpstreamOptions upstream_options = o.upstream;
    upstream_options.show_subscriber = text;
    upstream_options.report_every_s = o.report_every_s;
    upstream = std::make_unique<DemoUpstream>(upstream_options);
  }

  // 1. Normal data, from a healthy machine.
  const double t0 = wall_seconds();
  NormalData normal = collect_normal_data(o.train_hours);
  if (!o.export_normal.empty()) {
    write_training_files(normal, o.export_normal);
    say("wrote %d windows of normal data (standardized, %d inputs) to %s/normal.npy and the SPEC to "
        "%s/autoencoder.spec\n",
        normal.windows, vib::kModelInputs, printable(o.export_normal).c_str(),
        printable(o.export_normal).c_str());
    return 0;
  }
  say("1. normal data: %.1f simulated hours of a healthy machine -> %d windows of %d level-invariant "
      "inputs\n",
      o.train_hours, normal.windows, vib::kModelInputs);

  // 2. The anomaly model, trained by our own tools on the normal data only.
  std::unique_ptr<LoadedDetector> detector;
  if (model_bytes) {
    detector = load_detector(*model_bytes, o.model);
    say("2. model: %s (%zu bytes)\n", printable(o.model).c_str(), model_bytes->size());
  } else {
    const fs::path dir = fs::temp_directory_path() / ("edgeinfer-vibration-" + std::to_string(getpid()));
    fs::remove_all(dir);
    write_training_files(normal, dir);
    const fs::path log = dir / "training.log";
    const std::string npy = (dir / "normal.npy").string();
    run_self({"train", "--arch", (dir / "autoencoder.spec").string(), "--data", npy, "--autoencoder", "-o",
              (dir / "ae_float.tflite").string(), "--epochs", std::to_string(o.epochs), "--seed", "1"},
             log);
    run_self({"quantize", (dir / "ae_float.tflite").string(), "-o", (dir / "ae_int8.tflite").string(),
              "--mode", "int8", "--calibration", npy},
             log);
    std::string error;
    auto bytes = host::read_file((dir / "ae_int8.tflite").string(), &error);
    if (!bytes) throw CliError{error};
    detector = load_detector(*bytes, "the trained model");
    fs::remove_all(dir);
    say("2. model: edgeinfer train --autoencoder (%s, %d epochs) + edgeinfer quantize --mode int8 -> %zu "
        "bytes\n",
        "30 -> 16 -> 6 -> 16 -> 30", o.epochs, bytes->size());
  }
  Interpreter& interpreter = detector->runner.interpreter();
  std::vector<float> normal_scores;
  normal.params.score_threshold = threshold_from_normal(normal, interpreter, &normal_scores);
  say("   arena %zu bytes; threshold %.4f = %.1fx the %.1fth percentile of its scores on the normal data\n",
      detector->runner.arena_bytes(), normal.params.score_threshold, kThresholdMargin,
      100 * kThresholdQuantile);
  say("   (prepared in %.1f s)\n", wall_seconds() - t0);
  say("   upstream: %s\n\n", upstream->description().c_str());
  upstream->status({{"model_bytes", detector->bytes.size()},
                    {"arena_bytes", detector->runner.arena_bytes()},
                    {"threshold", rounded(normal.params.score_threshold, 4)},
                    {"seed", o.seed}});
  if (!o.save_detector.empty()) {
    fs::create_directories(o.save_detector);
    OutputFile model((fs::path(o.save_detector) / "model.tflite").string());
    model.write(detector->bytes.data(), detector->bytes.size());
    nlohmann::json params;
    params["input_mean"] =
        std::vector<float>(std::begin(normal.params.input_mean), std::end(normal.params.input_mean));
    params["input_std"] =
        std::vector<float>(std::begin(normal.params.input_std), std::end(normal.params.input_std));
    params["score_threshold"] = normal.params.score_threshold;
    const std::string text = json_text(params, 1) + "\n";
    OutputFile json((fs::path(o.save_detector) / "detector.json").string());
    json.write(text.data(), text.size());
    commit_all({&model, &json});
  }

  // 3. The scenario: faults at seeded times, slow drift, against the ground truth.
  vib::Schedule schedule;
  vib::make_schedule(o.seed, o.hours, &schedule);
  vib::MachineSimulator sim(vib::MachineConfig(), &schedule, o.seed);
  if (!sim.ok()) throw CliError{std::string("simulator: ") + sim.error()};
  auto monitor = std::make_unique<vib::VibrationMonitor>();
  vib::MonitorConfig config;
  if (!monitor->init(config, normal.params, &interpreter)) throw CliError{monitor->error()};
  say("3. %.1f simulated hours, seed %llu: %d faults injected, %d drift episodes (the device does not "
      "know)\n\n",
      o.hours, static_cast<unsigned long long>(o.seed),
      static_cast<int>(std::count_if(schedule.events, schedule.events + schedule.count,
                                     [](const vib::Event& e) { return e.type != vib::EventType::kDrift; })),
      static_cast<int>(std::count_if(schedule.events, schedule.events + schedule.count,
                                     [](const vib::Event& e) { return e.type == vib::EventType::kDrift; })));

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> trace(nullptr, &std::fclose);
  if (!o.trace.empty()) {
    trace.reset(std::fopen(o.trace.c_str(), "w"));
    if (!trace) throw CliError{"cannot write " + o.trace};
    std::fprintf(trace.get(), "time_s,score,level,drift_statistic,fault,drift\n");
  }
  std::vector<vib::Alert> alerts;
  std::vector<vib::ScoredWindow> scored;
  int64_t windows = 0, inferences = 0, messages = 0, reports = 0;
  int64_t interval_windows = 0, interval_alerts = 0;
  double interval_seconds = 0;
  vib::WindowResult last_scored;
  double next_report = o.report_every_s;
  std::vector<float> frames(vib::kHopFrames * vib::kAxes);
  const int64_t hops = static_cast<int64_t>(o.hours * 3600 * 1024 / vib::kHopFrames);
  const double run_start = wall_seconds();
  double infer_seconds = 0;
  for (int64_t h = 0; h < hops; ++h) {
    sim.generate(frames.data(), vib::kHopFrames);
    const double now_s = sim.time_s();
    int done = 0;
    while (done < vib::kHopFrames) {
      vib::WindowResult r;
      bool window = false;
      const double before = wall_seconds();
      done += monitor->push(frames.data() + done * vib::kAxes, vib::kHopFrames - done,
                            static_cast<uint64_t>(now_s * 1e6), &r, &window);
      if (!window) continue;
      const double took = wall_seconds() - before;
      infer_seconds += took;
      interval_seconds += took;
      ++windows;
      ++interval_windows;
      if (!r.scored) continue;
      ++inferences;
      last_scored = r;
      scored.push_back({now_s - 2.0, now_s, r.score});
      if (trace) {
        const vib::Truth truth = vib::truth_at(schedule, now_s);
        std::fprintf(trace.get(), "%.0f,%.5f,%.4f,%.4f,%s,%d\n", now_s, r.score, r.level, r.drift_statistic,
                     vib::event_type_name(truth.fault), truth.drift ? 1 : 0);
      }
      const double time_s = std::round(now_s * 1000) / 1000;
      auto send_alert = [&](nlohmann::json fields) {
        fields["time_s"] = time_s;
        upstream->alert(fields);
        ++messages;
        ++interval_alerts;
      };
      if (r.fault_event == vib::AlertEvent::kFaultStarted) {
        alerts.push_back({now_s, vib::AlertKind::kFault});
        nlohmann::json top;
        const std::string why = explain(monitor->features(), r.inputs, normal.params, &top);
        say("%s  ALERT  anomaly score %.3f (threshold %.3f): %s\n", clock_text(now_s).c_str(), r.score,
            normal.params.score_threshold, why.c_str());
        send_alert({{"event", "fault"},
                    {"state", "started"},
                    {"score", rounded(r.score, 4)},
                    {"threshold", rounded(normal.params.score_threshold, 4)},
                    {"top_inputs", top}});
      } else if (r.fault_event == vib::AlertEvent::kFaultCleared) {
        say("%s  clear  back to normal for %d windows\n", clock_text(now_s).c_str(), config.clear_windows);
        send_alert({{"event", "fault"}, {"state", "cleared"}, {"score", rounded(r.score, 4)}});
      }
      if (r.drift_event == vib::AlertEvent::kDriftStarted) {
        alerts.push_back({now_s, vib::AlertKind::kDrift});
        say("%s  DRIFT  the slow vibration level is %+.2f (log10 energy) from its baseline; the spectrum's "
            "shape is normal: not a fault, consider recalibrating\n",
            clock_text(now_s).c_str(), r.drift_statistic);
        send_alert(
            {{"event", "drift"}, {"state", "started"}, {"level_offset", rounded(r.drift_statistic, 4)}});
      } else if (r.drift_event == vib::AlertEvent::kDriftEnded) {
        say("%s  drift  the level is back at its baseline\n", clock_text(now_s).c_str());
        send_alert({{"event", "drift"}, {"state", "ended"}, {"level_offset", rounded(r.drift_statistic, 4)}});
      }
    }
    if (now_s >= next_report) {  // the periodic statistics report
      upstream->telemetry(statistics_report(now_s, interval_windows, interval_alerts, interval_seconds,
                                            *monitor, last_scored));
      interval_windows = interval_alerts = 0;
      interval_seconds = 0;
      ++messages;
      ++reports;
      next_report += o.report_every_s;
    }
    if (o.speed > 0) {
      const double ahead = now_s / o.speed - (wall_seconds() - run_start);
      if (ahead > 0) std::this_thread::sleep_for(std::chrono::duration<double>(ahead));
    }
  }
  const double run_seconds = wall_seconds() - run_start;
  const nlohmann::json upstream_report = upstream->finish();

  const vib::Evaluation evaluation = vib::evaluate(schedule, alerts);
  vib::WindowLabelConfig labels;
  labels.onset_s = 2;  // a window needs the fault in it: skip the first window after onset
  const std::vector<vib::FaultTypeAuc> aucs = vib::auc_per_fault_type(schedule, scored, labels);
  const edge::InferenceStatsSnapshot stats = monitor->stats().snapshot();

  if (o.json) {
    nlohmann::json j;
    j["seed"] = o.seed;
    j["hours"] = o.hours;
    j["windows"] = windows;
    j["inferences"] = inferences;
    j["messages_upstream"] = messages;
    j["reports"] = reports;
    j["messages_per_window"] = windows ? static_cast<double>(messages) / windows : 0.0;
    j["false_alarms_per_hour"] = evaluation.false_alarms_per_hour;
    j["drift_reported"] = evaluation.drift_reported;
    j["drift_never_as_fault"] = evaluation.drift_never_as_fault;
    j["faults"] = evaluation.faults;
    j["drifts"] = evaluation.drifts;
    j["evaluation"] = evaluation;
    j["auc"] = aucs;
    j["threshold"] = normal.params.score_threshold;
    j["model_bytes"] = detector->bytes.size();
    j["arena_bytes"] = detector->runner.arena_bytes();
    j["latency_us_per_window"] = windows ? 1e6 * infer_seconds / windows : 0.0;
    j["run_seconds"] = run_seconds;
    j["upstream"] = upstream_report;
    std::printf("%s\n", json_text(j).c_str());
    return 0;
  }
  say("\nsummary over %.1f simulated hours (%.1f s of wall time, %.0f us per window for features + model):\n",
      o.hours, run_seconds, windows ? 1e6 * infer_seconds / windows : 0.0);
  say("  windows %lld, inferences %lld (gated out %llu), messages upstream %lld = %.2f%% of windows "
      "(%lld alerts and clears, %lld reports)\n",
      static_cast<long long>(windows), static_cast<long long>(inferences),
      static_cast<unsigned long long>(stats.gated_out), static_cast<long long>(messages),
      windows ? 100.0 * messages / windows : 0.0, static_cast<long long>(messages - reports),
      static_cast<long long>(reports));
  say("  upstream: %s\n", upstream_summary(upstream_report).c_str());
  say("  faults detected %d of %d, slowest after %.1f s; false alarms %d (%.3f per hour)\n",
      evaluation.faults_detected, evaluation.faults_detected + evaluation.faults_missed,
      evaluation.max_delay_s.value_or(0), evaluation.false_alarms, evaluation.false_alarms_per_hour);
  say("  drift episodes reported as drift: %s; fault alerts caused by drift: %d\n",
      evaluation.drifts.empty()   ? "none in this run"
      : evaluation.drift_reported ? "all"
                                  : "NOT all",
      evaluation.drift_reported_as_fault);
  say("  anomaly score AUC (fault windows vs healthy):");
  for (const auto& a : aucs)
    say(" %s %s", vib::event_type_name(a.type), a.auc ? std::to_string(*a.auc).substr(0, 5).c_str() : "n/a");
  say("\n  per fault:\n");
  for (const auto& f : evaluation.faults)
    say("    %-13s at %s (severity %.2f): %s\n", vib::event_type_name(f.type),
        clock_text(f.injected_at_s).c_str(), f.severity,
        f.delay_s ? ("detected after " + std::to_string(*f.delay_s).substr(0, 4) + " s").c_str() : "MISSED");
  return 0;
}

}  // namespace

Command add_vibration_demo(CLI::App& demo) {
  auto o = std::make_shared<VibrationDemoOptions>();
  auto* cmd = demo.add_subcommand(
      "vibration",
      "The flagship: a simulated machine, an anomaly model trained here on normal data, fault and drift "
      "alerts at the edge");
  cmd->add_option("--hours", o->hours, "simulated hours")->capture_default_str();
  cmd->add_option("--seed", o->seed, "the scenario's seed (fault times, machine)")->capture_default_str();
  cmd->add_option("--speed", o->speed,
                  "simulated seconds per wall-clock second (default: as fast as possible)");
  cmd->add_flag("--json", o->json, "print the results as JSON");
  cmd->add_option("--model", o->model, "use this autoencoder (.tflite, 30 -> 30) instead of training one");
  cmd->add_option("--export-normal", o->export_normal,
                  "write the normal training data (normal.npy) and the model SPEC to DIR and stop");
  cmd->add_option("--trace", o->trace, "write one CSV line per window (score, level, truth) to FILE");
  cmd->add_option("--save-detector", o->save_detector,
                  "write the model (model.tflite) and the detector's parameters (detector.json) to DIR");
  cmd->add_option("--train-hours", o->train_hours, "simulated hours of normal data")->capture_default_str();
  cmd->add_option("--epochs", o->epochs, "training epochs")->capture_default_str();
  cmd->add_option("--report-every", o->report_every_s, "simulated seconds between statistics reports")
      ->capture_default_str();
  cmd->add_option(
      "--broker", o->upstream.broker,
      "publish alerts and statistics to this MQTT broker, HOST:PORT (default: a private mosquitto "
      "on a free loopback port when installed, with a subscriber's view)");
  cmd->add_flag("--offline", o->upstream.offline, "publish nothing (messages are only counted)");
  cmd->add_option("--device", o->upstream.device, "the device id in the topics edgeinfer/ID/...")
      ->capture_default_str();
  cmd->add_option("--queue", o->upstream.queue,
                  "the on-disk store-and-forward queue (default: $TMPDIR/edgeinfer-queue-ID with --broker, "
                  "a fresh one with the private broker)");
  cmd->add_option("--flush-timeout", o->upstream.flush_timeout_s,
                  "seconds to wait at the end for the broker to acknowledge everything")
      ->capture_default_str();
  cmd->add_option("--tls-ca", o->upstream.tls_ca_file, "TLS to the broker: CA certificate file");
  cmd->add_option("--tls-cert", o->upstream.tls_cert_file, "TLS client certificate (with --tls-key)");
  cmd->add_option("--tls-key", o->upstream.tls_key_file, "TLS client key");
  return {cmd, [o] { return run_vibration_demo(*o); }};
}

}  // namespace edgeinfer::cli
