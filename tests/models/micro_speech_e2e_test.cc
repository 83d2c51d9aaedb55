// TFLM's micro_speech example end to end through our CLI: 16 kHz WAV clips framed as TFLM's example does
// (30 ms windows every 20 ms, at most 49 frames), streamed through audio_preprocessor_int8 with
// `edgeinfer run --stream` (the front end's noise estimate and PCAN state carry across frames), then the
// 49x40 features through micro_speech_quantized. Expectations are those of TFLM's micro_speech_test.cc:
// the feature values of the two 30 ms clips, and the labels of the four 1 s clips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/shared_data.h"
#include "tests/support/wav.h"

namespace edgeinfer::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kSampleRate = 16000;
constexpr int kWindowSamples = 30 * kSampleRate / 1000;  // 480
constexpr int kStrideSamples = 20 * kSampleRate / 1000;  // 320
constexpr int kMaxFrames = 49;
constexpr int kFeatureSize = 40;
const char* const kLabels[] = {"silence", "unknown", "yes", "no"};

class MicroSpeechEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    auto shared = shared_dir();
    if (!shared) GTEST_SKIP() << "shared test data not found (set EDGEINFER_SHARED_DIR): skipping this test";
    shared_ = *shared;
    work_ = fs::temp_directory_path() / ("edgeinfer_micro_speech_" + std::to_string(::getpid()));
    fs::create_directories(work_);
  }
  void TearDown() override {
    if (!work_.empty()) fs::remove_all(work_);
  }

  // The clip's frames, concatenated: what TFLM's GenerateFeatures() feeds the front end one by one.
  std::vector<int16_t> frames_of(const std::string& clip) {
    WavAudio audio;
    std::string error;
    EXPECT_TRUE(read_wav(shared_ / "data/micro_speech" / clip, &audio, &error)) << clip << ": " << error;
    EXPECT_EQ(audio.sample_rate, kSampleRate);
    EXPECT_EQ(audio.channels, 1);
    std::vector<int16_t> frames;
    for (size_t start = 0, n = 0; start + kWindowSamples <= audio.samples.size() && n < kMaxFrames;
         start += kStrideSamples, ++n) {
      frames.insert(frames.end(), audio.samples.begin() + static_cast<std::ptrdiff_t>(start),
                    audio.samples.begin() + static_cast<std::ptrdiff_t>(start + kWindowSamples));
    }
    return frames;
  }

  // Runs the front end over the frames of `clip` through the CLI; returns frames x 40 int8 features.
  std::vector<int8_t> features_of(const std::string& clip) {
    const std::vector<int16_t> frames = frames_of(clip);
    const fs::path in = work_ / (clip + ".frames"), out = work_ / (clip + ".features");
    std::ofstream(in, std::ios::binary)
        .write(reinterpret_cast<const char*>(frames.data()), static_cast<std::streamsize>(frames.size() * 2));
    const CommandResult run = run_command(edgeinfer_cli().string() + " run " +
                                          (shared_ / "models/tflm/audio_preprocessor_int8.tflite").string() +
                                          " --stream " + in.string() + " --output " + out.string());
    EXPECT_EQ(run.exit_code, 0) << run.output;
    const std::vector<uint8_t> bytes = read_bytes(out);
    EXPECT_EQ(bytes.size(), frames.size() / kWindowSamples * kFeatureSize);
    return std::vector<int8_t>(bytes.begin(), bytes.end());
  }

  // FNV-1a of the 49x40 features TFLM's front end gives for the clip (tflm_cli run --stream, TFLM 90b983c):
  // every frame, so the noise estimate and PCAN state carried across the 49 invokes are checked too.
  static uint64_t fingerprint(const std::vector<int8_t>& bytes) {
    uint64_t hash = 0xcbf29ce484222325ull;
    for (int8_t b : bytes) hash = (hash ^ static_cast<uint8_t>(b)) * 0x100000001b3ull;
    return hash;
  }

  std::string label_of(const std::string& clip, uint64_t tflm_features_fingerprint) {
    std::vector<int8_t> features = features_of(clip);
    EXPECT_EQ(features.size(), static_cast<size_t>(kMaxFrames * kFeatureSize));
    EXPECT_EQ(fingerprint(features), tflm_features_fingerprint) << clip << ": features differ from TFLM's";
    // TFLM's example leaves rows it did not fill at zero (a 1 s clip gives all 49).
    features.resize(kMaxFrames * kFeatureSize, 0);
    const fs::path in = work_ / (clip + ".input"), out = work_ / (clip + ".scores");
    std::ofstream(in, std::ios::binary)
        .write(reinterpret_cast<const char*>(features.data()), static_cast<std::streamsize>(features.size()));
    const CommandResult run = run_command(edgeinfer_cli().string() + " run " +
                                          (shared_ / "models/tflm/micro_speech_quantized.tflite").string() +
                                          " --input " + in.string() + " --output " + out.string());
    EXPECT_EQ(run.exit_code, 0) << run.output;
    const std::vector<uint8_t> scores = read_bytes(out);
    if (scores.size() != 4) {
      ADD_FAILURE() << "expected 4 scores, got " << scores.size() << " bytes";
      return "";
    }
    // Same scale and zero point for every category, so the largest int8 score is the largest probability.
    std::vector<int8_t> values(scores.begin(), scores.end());
    return kLabels[std::max_element(values.begin(), values.end()) - values.begin()];
  }

  fs::path shared_, work_;
};

TEST_F(MicroSpeechEndToEnd, NoClipFeaturesMatchTflm) {
  const std::vector<int8_t> expected = {126, 103, 124, 102, 124, 102, 123, 100, 118, 97, 118, 100, 118, 98,
                                        121, 100, 121, 98,  117, 91,  96,  74,  54,  87, 100, 87,  109, 92,
                                        91,  80,  64,  55,  83,  74,  74,  78,  114, 95, 101, 81};
  EXPECT_EQ(features_of("no_30ms.wav"), expected);
}

TEST_F(MicroSpeechEndToEnd, YesClipFeaturesMatchTflm) {
  const std::vector<int8_t> expected = {124, 105, 126, 103, 125, 101, 123, 100, 116, 98,  115, 97,  113, 90,
                                        91,  82,  104, 96,  117, 97,  121, 103, 126, 101, 125, 104, 126, 104,
                                        125, 101, 116, 90,  81,  74,  80,  71,  83,  76,  82,  71};
  EXPECT_EQ(features_of("yes_30ms.wav"), expected);
}

TEST_F(MicroSpeechEndToEnd, RecognizesNo) {
  EXPECT_EQ(label_of("no_1000ms.wav", 0x96987714498db014ull), "no");
}
TEST_F(MicroSpeechEndToEnd, RecognizesYes) {
  EXPECT_EQ(label_of("yes_1000ms.wav", 0xfe05147382eeb764ull), "yes");
}
TEST_F(MicroSpeechEndToEnd, RecognizesSilence) {
  EXPECT_EQ(label_of("silence_1000ms.wav", 0x241072d40f69cf0cull), "silence");
}
// TFLM's example expects background noise to come out as silence.
TEST_F(MicroSpeechEndToEnd, NoiseIsSilence) {
  EXPECT_EQ(label_of("noise_1000ms.wav", 0xd61f9bf5bddd0f38ull), "silence");
}

}  // namespace
}  // namespace edgeinfer::testing
