#include "compiler/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace edgeinfer::host {
namespace {

namespace fs = std::filesystem;

// A .npy file from its parts: version, header text (as written, no padding added) and float data.
std::vector<uint8_t> npy_bytes(int major, const std::string& header, const std::vector<float>& values = {}) {
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const size_t length = header.size();
  bytes.push_back(length & 0xFF);
  bytes.push_back((length >> 8) & 0xFF);
  if (major > 1) {
    bytes.push_back((length >> 16) & 0xFF);
    bytes.push_back((length >> 24) & 0xFF);
  }
  bytes.insert(bytes.end(), header.begin(), header.end());
  const auto* data = reinterpret_cast<const uint8_t*>(values.data());
  bytes.insert(bytes.end(), data, data + values.size() * sizeof(float));
  return bytes;
}

std::optional<NpyArray> parse(const std::vector<uint8_t>& bytes, std::string* error) {
  return parse_npy(bytes.data(), bytes.size(), "x.npy", error);
}

class NpyDirTest : public edgeinfer::testing::TempDirTest {
 protected:
  // Hides TempDirTest::write: every file here is an array.
  std::string write(const std::string& name, const NpyArray& array) {
    const std::string path = (dir_ / name).string();
    std::string error;
    EXPECT_TRUE(write_npy(path, array, &error)) << error;
    return path;
  }
};

TEST(NpyTest, ReadsWhatNumpySaveWrites) {
  // np.save of np.arange(6, dtype='<f4').reshape(2, 3) (NumPy 1.26: growth spaces, padded to 64 bytes).
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header.append(118 - header.size() - 1, ' ');
  header += '\n';
  const auto bytes = npy_bytes(1, header, {0, 1, 2, 3, 4, 5});
  ASSERT_EQ(bytes.size() % 64, 24u);  // 128-byte header + 24 data bytes
  std::string error;
  const auto array = parse(bytes, &error);
  ASSERT_TRUE(array) << error;
  EXPECT_EQ(array->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array->values, (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST(NpyTest, ParsesHeadersInGeneral) {
  struct Case {
    int major;
    std::string header;
    std::vector<int64_t> shape;
  };
  const Case cases[] = {
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", {}},
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }\n", {5}},
      {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 3), }   \n", {2, 1, 3}},
      {3, "{\"shape\": (1,2),\"fortran_order\":False,\"descr\":\"<f4\"}", {1, 2}},
      {1, "{'descr':'<f4','fortran_order':False,'shape':(3L, 1L)}\n", {3, 1}},
      {1, "{'descr': '<f4', 'fortran_order': True, 'shape': (4,), }\n", {4}},  // 1-D: same order
      {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 7), }\n", {0, 7}},
  };
  for (const Case& c : cases) {
    int64_t count = 1;
    for (int64_t d : c.shape) count *= d;
    std::vector<float> values(static_cast<size_t>(count));
    for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i) - 1;
    std::string error;
    const auto array = parse(npy_bytes(c.major, c.header, values), &error);
    ASSERT_TRUE(array) << c.header << ": " << error;
    EXPECT_EQ(array->shape, c.shape) << c.header;
    EXPECT_EQ(array->values, values) << c.header;
  }
}

TEST(NpyTest, WritesFormat10ThatReadsBack) {
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{}, {5}, {2, 3}, {1, 49, 10, 1}, {3, 0}}) {
    NpyArray array{shape, {}};
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    for (int64_t i = 0; i < count; ++i) array.values.push_back(std::ldexp(static_cast<float>(i), -3) - 7.25f);
    std::string error;
    const auto bytes = encode_npy(array, &error);
    ASSERT_TRUE(bytes) << error;
    const size_t header = (*bytes)[8] | ((*bytes)[9] << 8);
    EXPECT_EQ((10 + header) % 64, 0u);
    EXPECT_EQ((*bytes)[6], 1);
    EXPECT_EQ((*bytes)[7], 0);
    EXPECT_EQ((*bytes)[10 + header - 1], '\n');
    const std::string text(bytes->begin() + 10, bytes->begin() + 10 + header);
    EXPECT_EQ(text.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (", 0), 0u) << text;
    if (shape.size() == 1) {
      EXPECT_NE(text.find("(5,)"), std::string::npos) << text;
    }
    if (shape.empty()) {
      EXPECT_NE(text.find("'shape': ()"), std::string::npos) << text;
    }
    const auto back = parse(*bytes, &error);
    ASSERT_TRUE(back) << error;
    EXPECT_EQ(back->shape, shape);
    EXPECT_EQ(back->values, array.values);
  }
  std::string error;
  EXPECT_FALSE(encode_npy({{2, 3}, {1, 2}}, &error));
  EXPECT_EQ(error, "npy: 2 values do not fill shape [2,3]");
}

TEST(NpyTest, MalformedFilesGiveOneLineErrorsNamingTheFile) {
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
  auto with_header = [](const std::string& header, size_t values = 2) {
    return npy_bytes(1, header, std::vector<float>(values, 1.0f));
  };
  auto header_for = [](const std::string& descr, const std::string& order, const std::string& shape) {
    return "{'descr': " + descr + ", 'fortran_order': " + order + ", 'shape': " + shape + ", }\n";
  };
  std::vector<uint8_t> v40 = with_header(good);
  v40[6] = 4;
  std::vector<uint8_t> v11 = with_header(good);
  v11[7] = 1;
  std::vector<uint8_t> past_end = with_header(good);
  past_end[8] = 0xFF;
  past_end[9] = 0x7F;
  std::string dims65 = "(";
  for (int i = 0; i < 65; ++i) dims65 += "1,";
  dims65 += ")";
  struct Case {
    std::vector<uint8_t> bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{}, "not a .npy file"},
      {{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}, "not a .npy file"},
      {{0x93, 'N', 'U', 'M', 'P', 'Y', 1}, "truncated: the file ends before the format version"},
      {{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 5}, "truncated: the file ends inside the header length"},
      {{0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 5, 0, 0}, "truncated: the file ends inside the header length"},
      {v40, "unsupported .npy format version 4.0"},
      {v11, "unsupported .npy format version 1.1"},
      {past_end, "header of 32767 bytes runs past the end of the file (76 bytes)"},
      {with_header("[1, 2]\n"), "header is not a dict"},
      {with_header("{'descr': '<f4', 'shape': (2,)}\n"), "header lacks 'fortran_order'"},
      {with_header("{'descr': '<f4', 'fortran_order': False}\n"), "header lacks 'shape'"},
      {with_header("{'fortran_order': False, 'shape': (2,)}\n"), "header lacks 'descr'"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n"),
       "unexpected key 'x'"},
      {with_header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n"),
       "repeats the key 'descr'"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x\n"), "bytes after the dict"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)"), "expected ',' or '}'"},
      {with_header("{'descr: '<f4', 'fortran_order': False, 'shape': (2,)}\n"), "expected ':'"},
      {with_header("{'descr': '<f4\\x', 'fortran_order': False, 'shape': (2,)}\n"),
       "descr: expected a quoted"},
      {with_header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}\n"), "expected True or False"},
      {with_header(header_for("'<f8'", "False", "(1,)")), "dtype '<f8' (convert with array.astype"},
      {with_header(header_for("'>f4'", "False", "(2,)")),
       "dtype '>f4' (big-endian float32) is not supported"},
      {with_header(header_for("'|u1'", "False", "(8,)")), "dtype '|u1' is not supported: need little-endian"},
      {with_header(header_for("[('a', '<f4')]", "False", "(2,)")), "structured dtype"},
      {with_header(header_for("'<f4'", "True", "(2, 3)")), "fortran_order is True"},
      {with_header(header_for("'<f4'", "False", "(-1,)")), "shape: expected a non-negative integer"},
      {with_header(header_for("'<f4'", "False", "[2]")), "shape: expected a tuple"},
      {with_header(header_for("'<f4'", "False", "(2 3)")), "shape: expected ',' or ')'"},
      {with_header(header_for("'<f4'", "False", "(99999999999999999999,)")), "dimension too large"},
      {with_header(header_for("'<f4'", "False", "(4294967296, 4294967296, 4294967296)")),
       "shape [4294967296,4294967296,4294967296] has too many elements"},
      {with_header(header_for("'<f4'", "False", "(4611686018427387904,)")),
       "data is 8 bytes, shape [4611686018427387904] of float32 needs more"},
      {with_header(header_for("'<f4'", "False", dims65)), "more than 64 dimensions"},
      {with_header(good, 1), "data is 4 bytes, shape [2] of float32 needs 8"},
      {with_header(good, 3), "data is 12 bytes, shape [2] of float32 needs 8"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(parse(c.bytes, &error)) << c.expected;
    EXPECT_EQ(error.rfind("x.npy: ", 0), 0u) << error;
    EXPECT_NE(error.find(c.expected), std::string::npos) << "expected '" << c.expected << "' in: " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(NpyTest, EveryTruncationAndManyMutationsEndInAResultOrAnError) {
  NpyArray array{{3, 4}, std::vector<float>(12, 0.25f)};
  std::string error;
  const auto bytes = *encode_npy(array, &error);
  for (size_t size = 0; size < bytes.size(); ++size) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + size);  // exact size for ASan
    EXPECT_FALSE(parse(prefix, &error)) << size;
    EXPECT_FALSE(error.empty());
  }
  uint32_t x = 12345;
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> mutated = bytes;
    for (int k = 0; k < 1 + i % 3; ++k) {
      x = x * 1664525u + 1013904223u;
      mutated[(x >> 8) % 128] = static_cast<uint8_t>(x >> 24);  // within the header
    }
    error.clear();
    const auto result = parse(mutated, &error);
    if (result) {
      int64_t count = 1;
      for (int64_t d : result->shape) count *= d;
      EXPECT_EQ(static_cast<int64_t>(result->values.size()), count);
    } else {
      EXPECT_EQ(error.rfind("x.npy: ", 0), 0u) << error;
    }
  }
}

TEST_F(NpyDirTest, FileOrDirectoryInNameOrder) {
  write("b.npy", {{2, 3}, {7, 8, 9, 10, 11, 12}});
  write("a.npy", {{1, 3}, {1, 2, 3}});
  std::ofstream(dir_ / "README.txt") << "not an array";
  fs::create_directories(dir_ / "sub.npy");  // a directory, not a file: ignored
  std::string error;
  const auto set = load_npy_samples(dir_.string(), &error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->num_samples, 3);
  EXPECT_EQ(set->sample_shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(set->sample_elements(), 3);
  EXPECT_EQ(set->values, (std::vector<float>{1, 2, 3, 7, 8, 9, 10, 11, 12}));
  ASSERT_EQ(set->sources.size(), 2u);
  EXPECT_EQ(set->describe_sample(2), (dir_ / "b.npy").string() + " sample 1 (sample 2 of the set)");

  const auto single = load_npy_samples((dir_ / "b.npy").string(), &error);
  ASSERT_TRUE(single) << error;
  EXPECT_EQ(single->num_samples, 2);
  EXPECT_EQ(single->describe_sample(1), (dir_ / "b.npy").string() + " sample 1");
}

TEST_F(NpyDirTest, SampleSetErrors) {
  std::string error;
  EXPECT_FALSE(load_npy_samples(dir_.string(), &error));
  EXPECT_EQ(error, dir_.string() + ": no .npy files in the directory");
  EXPECT_FALSE(load_npy_samples((dir_ / "absent.npy").string(), &error));
  EXPECT_NE(error.find("absent.npy: cannot open"), std::string::npos) << error;

  write("a.npy", {{1, 3}, {1, 2, 3}});
  const std::string c = write("c.npy", {{2, 4}, std::vector<float>(8)});
  EXPECT_FALSE(load_npy_samples(dir_.string(), &error));
  EXPECT_EQ(error, c + ": shape [2,4]: samples of shape [4] differ from [3] in " + (dir_ / "a.npy").string());
  fs::remove(c);

  const std::string scalar = write("s.npy", {{}, {1}});
  EXPECT_FALSE(load_npy_samples(scalar, &error));
  EXPECT_EQ(error, scalar + ": a 0-d array has no sample axis (need shape [N,...])");
  const std::string empty = write("e.npy", {{0, 3}, {}});
  fs::remove(scalar);
  EXPECT_FALSE(load_npy_samples(empty, &error));
  EXPECT_EQ(error, empty + ": no samples (the first axis is 0)");
  // With a.npy beside it, the empty one adds nothing.
  const auto set = load_npy_samples(dir_.string(), &error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->num_samples, 1);

  std::ofstream(dir_ / "z.npy") << "\x93NUMPY";
  EXPECT_FALSE(load_npy_samples(dir_.string(), &error));
  EXPECT_EQ(error, (dir_ / "z.npy").string() + ": truncated: the file ends before the format version");
}

TEST_F(NpyDirTest, SamplesFitAnInputWithOrWithoutItsBatchOfOne) {
  Shape input;
  input.rank = 4;
  input.dims[0] = 1, input.dims[1] = 49, input.dims[2] = 10, input.dims[3] = 1;
  std::string error;
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{2, 49, 10, 1}, {2, 1, 49, 10, 1}}) {
    const std::string path = write("ok.npy", {shape, std::vector<float>(980, 0.5f)});
    const auto set = load_npy_samples(path, &error);
    ASSERT_TRUE(set) << error;
    EXPECT_TRUE(check_samples_fit_input(*set, input, "input 0", &error)) << error;
  }
  const std::string wrong = write("wrong.npy", {{2, 49, 10}, std::vector<float>(980)});
  auto set = load_npy_samples(wrong, &error);
  ASSERT_TRUE(set) << error;
  EXPECT_FALSE(check_samples_fit_input(*set, input, "input 0", &error));
  EXPECT_EQ(error,
            wrong + ": arrays of shape [N,49,10] do not fit input 0 [1,49,10,1]: expected [N,49,10,1] or " +
                "[N,1,49,10,1]");

  Shape pair;  // no batch of one: only one form fits
  pair.rank = 2;
  pair.dims[0] = 2, pair.dims[1] = 3;
  const std::string flat = write("flat.npy", {{4}, std::vector<float>(4)});
  set = load_npy_samples(flat, &error);
  ASSERT_TRUE(set) << error;
  EXPECT_FALSE(check_samples_fit_input(*set, pair, "input 1", &error));
  EXPECT_EQ(error, flat + ": arrays of shape [N] do not fit input 1 [2,3]: expected [N,2,3]");
}

TEST_F(NpyDirTest, NanAndInfinityAreNamedByFileAndSample) {
  Shape input;
  input.rank = 2;
  input.dims[0] = 1, input.dims[1] = 3;
  std::string error;
  write("a.npy", {{1, 3}, {1, 2, 3}});
  write("b.npy", {{2, 3}, {1, 2, 3, 4, std::numeric_limits<float>::quiet_NaN(), 6}});
  auto set = load_npy_samples(dir_.string(), &error);
  ASSERT_TRUE(set) << error;
  EXPECT_FALSE(check_samples_fit_input(*set, input, "input 0", &error));
  EXPECT_EQ(error, (dir_ / "b.npy").string() +
                       " sample 1 (sample 2 of the set), value 1 is NaN: input 0 needs finite values");
  const std::string inf = write("c.npy", {{1, 3}, {0, -std::numeric_limits<float>::infinity(), 0}});
  set = load_npy_samples(inf, &error);
  ASSERT_TRUE(set) << error;
  EXPECT_FALSE(check_samples_fit_input(*set, input, "input 0", &error));
  EXPECT_EQ(error, inf + " sample 0, value 1 is infinite: input 0 needs finite values");
}

}  // namespace
}  // namespace edgeinfer::host
