// person_detect on the two sample images: TFLM's own test feeds the BMP's gray levels in top-down row order,
// each byte copied unchanged into the int8 input tensor, and scores person.bmp (no person, person) =
// (-113, 113) and no_person.bmp (57, -57).
#include <gtest/gtest.h>

#include <cstring>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"

namespace edgeinfer {
namespace {

uint32_t read_le32(const std::vector<uint8_t>& bytes, size_t at) {
  return bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | uint32_t(bytes[at + 3]) << 24;
}

// The image's gray levels, top row first. Expects an 8-bit palette BMP.
std::vector<uint8_t> gray_pixels_top_down(const std::vector<uint8_t>& bmp, int* width, int* height) {
  if (bmp.size() < 54 || bmp[0] != 'B' || bmp[1] != 'M') return {};
  const uint32_t data_offset = read_le32(bmp, 10);
  *width = static_cast<int32_t>(read_le32(bmp, 18));
  const int32_t raw_height = static_cast<int32_t>(read_le32(bmp, 22));
  const bool bottom_up = raw_height > 0;
  *height = bottom_up ? raw_height : -raw_height;
  if (bmp[28] != 8) return {};
  const size_t stride = (static_cast<size_t>(*width) + 3) / 4 * 4;
  if (data_offset + stride * *height > bmp.size()) return {};
  std::vector<uint8_t> pixels;
  for (int row = 0; row < *height; ++row) {
    const int source_row = bottom_up ? *height - 1 - row : row;
    const uint8_t* line = bmp.data() + data_offset + stride * source_row;
    pixels.insert(pixels.end(), line, line + *width);
  }
  return pixels;
}

std::vector<int8_t> score(const std::filesystem::path& model_path, const std::filesystem::path& image_path) {
  host::LoadedModel loaded;
  Status status = loaded.load_file(model_path.string());
  EXPECT_TRUE(status.is_ok()) << status.message();
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  status = runner.init(loaded.model(), resolver);
  EXPECT_TRUE(status.is_ok()) << status.message();
  if (!status.is_ok()) return {};
  int width = 0, height = 0;
  const auto pixels = gray_pixels_top_down(testing::read_bytes(image_path), &width, &height);
  const Tensor input = runner.interpreter().input(0);
  EXPECT_EQ(pixels.size(), input.bytes) << image_path;
  if (pixels.size() != input.bytes) return {};
  std::memcpy(input.data, pixels.data(), pixels.size());
  status = runner.interpreter().invoke();
  EXPECT_TRUE(status.is_ok()) << status.message();
  const Tensor output = runner.interpreter().output(0);
  return {output.data_as<int8_t>(), output.data_as<int8_t>() + output.num_elements()};
}

TEST(PersonDetectTest, ScoresPersonAndNoPersonLikeTflm) {
  EI_REQUIRE_SHARED_DIR(shared);
  const auto model = shared / "models" / "tflm" / "person_detect.tflite";
  const auto images = shared / "data" / "person_detection";
  const auto person = score(model, images / "person.bmp");
  ASSERT_EQ(person.size(), 2u);
  EXPECT_GT(person[1], person[0]) << "person.bmp must score as person";
  EXPECT_EQ(person, (std::vector<int8_t>{-113, 113}));
  const auto nobody = score(model, images / "no_person.bmp");
  ASSERT_EQ(nobody.size(), 2u);
  EXPECT_GT(nobody[0], nobody[1]) << "no_person.bmp must score as no person";
  EXPECT_EQ(nobody, (std::vector<int8_t>{57, -57}));
}

}  // namespace
}  // namespace edgeinfer
