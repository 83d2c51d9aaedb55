#include "compiler/data/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace edgeinfer::compiler::data {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

using edgeinfer::testing::gzip_bytes;
using edgeinfer::testing::idx_bytes;

// A .npy of integers: `descr` such as '<i8' and the little-endian bytes of the values.
Bytes npy_int_bytes(const std::string& descr, const std::string& shape, const Bytes& data) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  Bytes bytes = {0x93,
                 'N',
                 'U',
                 'M',
                 'P',
                 'Y',
                 1,
                 0,
                 static_cast<uint8_t>(header.size() & 0xFF),
                 static_cast<uint8_t>(header.size() >> 8)};
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

// Little-endian bytes of `values` as `bytes`-wide integers.
Bytes le(const std::vector<int64_t>& values, int bytes) {
  Bytes out;
  for (int64_t v : values)
    for (int b = 0; b < bytes; ++b) out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * b)));
  return out;
}

// One line, starting with `file`, holding `text`.
void expect_error(const std::string& error, const std::string& file, const std::string& text) {
  EXPECT_EQ(error.rfind(file, 0), 0u) << "expected to start with '" << file << "': " << error;
  EXPECT_NE(error.find(text), std::string::npos) << "expected '" << text << "' in: " << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

class DatasetTest : public edgeinfer::testing::TempDirTest {
 protected:
  std::string write_npy(const std::string& name, std::vector<int64_t> shape, std::vector<float> values) {
    fs::create_directories((dir_ / name).parent_path());
    std::string error;
    EXPECT_TRUE(host::write_npy(path(name), {std::move(shape), std::move(values)}, &error)) << error;
    return path(name);
  }
  // DIR/ with a train split (plain): 3 images of 2x2 and their labels 2, 0, 1; and a test split (gzipped):
  // 2 images, labels 1, 1.
  std::string write_idx_dir(const std::string& dir) {
    write(dir + "/train-images-idx3-ubyte", idx_bytes({3, 2, 2}, {0, 255, 51, 102, 1, 2, 3, 4, 9, 8, 7, 6}));
    write(dir + "/train-labels-idx1-ubyte", idx_bytes({3}, {2, 0, 1}));
    write(dir + "/t10k-images-idx3-ubyte.gz", gzip_bytes(idx_bytes({2, 2, 2}, {255, 0, 0, 0, 0, 0, 0, 255})));
    write(dir + "/t10k-labels-idx1-ubyte.gz", gzip_bytes(idx_bytes({2}, {1, 1})));
    return path(dir);
  }
};

TEST_F(DatasetTest, IdxDirectoryPlainAndGzippedGivesPixelsOver255AndLabels) {
  const std::string dir = write_idx_dir("mnist");
  ASSERT_TRUE(is_idx_directory(dir));
  std::string error;
  auto train = load_dataset(dir, {.split = "train"}, &error);
  ASSERT_TRUE(train) << error;
  EXPECT_EQ(train->format, "idx");
  EXPECT_EQ(train->samples.sample_shape, (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(train->samples.num_samples, 3);
  ASSERT_EQ(train->samples.values.size(), 12u);
  EXPECT_EQ(train->samples.values[0], 0.0f);
  EXPECT_EQ(train->samples.values[1], 1.0f);
  EXPECT_EQ(train->samples.values[2], 51.0f / 255.0f);
  EXPECT_EQ(train->samples.values[11], 6.0f / 255.0f);
  EXPECT_EQ(train->labels, (std::vector<int32_t>{2, 0, 1}));
  EXPECT_EQ(train->num_classes(), 3);
  EXPECT_EQ(train->source, path("mnist/train-images-idx3-ubyte") + " + train-labels-idx1-ubyte");

  auto test = load_dataset(dir, {.split = "test"}, &error);
  ASSERT_TRUE(test) << error;
  EXPECT_EQ(test->samples.num_samples, 2);
  EXPECT_EQ(test->samples.values, (std::vector<float>{1, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(test->labels, (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(test->labels_file, path("mnist/t10k-labels-idx1-ubyte.gz"));

  // --limit keeps the first samples; labels are still checked against the classes.
  auto first = load_dataset(dir, {.split = "train", .limit = 2, .num_classes = 3}, &error);
  ASSERT_TRUE(first) << error;
  EXPECT_EQ(first->samples.num_samples, 2);
  EXPECT_EQ(first->samples.values.size(), 8u);
  EXPECT_EQ(first->labels, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(first->samples.sources[0].num_samples, 2);

  // Copies of MNIST named train-images.idx3-ubyte; images without a labels file are unlabelled.
  write("dots/train-images.idx3-ubyte", idx_bytes({1, 1, 3}, {10, 20, 30}));
  auto dots = load_dataset(path("dots"), {}, &error);
  ASSERT_TRUE(dots) << error;
  EXPECT_EQ(dots->samples.sample_shape, (std::vector<int64_t>{1, 3, 1}));
  EXPECT_FALSE(dots->has_labels());
}

TEST_F(DatasetTest, IdxConcatenatedGzipMembersReadAsOne) {
  const Bytes whole = idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6});
  Bytes two = gzip_bytes(Bytes(whole.begin(), whole.begin() + 7));
  const Bytes rest = gzip_bytes(Bytes(whole.begin() + 7, whole.end()));
  two.insert(two.end(), rest.begin(), rest.end());
  std::string error;
  const auto array = parse_idx(two.data(), two.size(), "x.gz", &error);
  ASSERT_TRUE(array) << error;
  EXPECT_EQ(array->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array->values, (Bytes{1, 2, 3, 4, 5, 6}));
}

TEST_F(DatasetTest, MalformedIdxGivesOneLineErrorsNamingTheFile) {
  const Bytes good = idx_bytes({2, 2}, {1, 2, 3, 4});
  const Bytes gz = gzip_bytes(good);
  ASSERT_GT(gz.size(), 18u);  // the 10-byte header, data, the 8-byte trailer
  // Copies with one byte changed (built byte by byte: GCC 12 warns of a bogus overflow on a copy's [10]).
  auto changed = [&](size_t at, uint8_t value) {
    Bytes copy;
    for (size_t i = 0; i < gz.size(); ++i) copy.push_back(i == at ? value : gz[i]);
    return copy;
  };
  const Bytes bad_crc = changed(gz.size() - 8, gz[gz.size() - 8] ^ 0xFF);  // the trailer's CRC-32
  const Bytes bad_block =
      changed(10, 0xFF);  // the first deflate block after the 10-byte header: type 3, invalid
  Bytes garbage = gz;
  garbage.push_back('x');
  struct Case {
    Bytes bytes;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{}, "empty file"},
      {{0, 0}, "not an IDX file (starts with 00 00,"},
      {{'P', 'K', 3, 4}, "not an IDX file (starts with 50 4B 03 04"},
      {{0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0}, "IDX element type 0x0D (float32) is not supported"},
      {{0, 0, 0x08, 0}, "IDX file with 0 dimensions"},
      {{0, 0, 0x08, 200}, "IDX file with 200 dimensions"},
      {{0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0}, "truncated: the file ends inside the 2 dimensions"},
      {Bytes(good.begin(), good.end() - 1), "truncated: shape [2,2] needs 4 bytes of data, the file has 3"},
      {gzip_bytes(Bytes(good.begin(), good.end() - 1)),
       "truncated: shape [2,2] needs 4 bytes of data, the file has 3"},
      {idx_bytes({2, 2}, {1, 2, 3, 4, 5}), "more data than shape [2,2] holds (4 bytes)"},
      {idx_bytes({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {}),
       "shape [4294967295,4294967295,4294967295] holds more"},
      {idx_bytes({60000, 28, 28}, {1, 2, 3}), "needs 47040000 bytes of data, the file has 3"},
      {Bytes(gz.begin(), gz.end() - 12), "truncated gzip data"},
      {bad_crc, "corrupt gzip data: incorrect data check"},
      {bad_block, "corrupt gzip data: invalid block type"},
      {garbage, "1 bytes after the gzip data are not gzip data"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(parse_idx(c.bytes.data(), c.bytes.size(), "x-idx", &error)) << c.expected;
    expect_error(error, "x-idx: ", c.expected);
  }
  // A header claiming more than the limit is refused before anything is read.
  std::string error;
  const Bytes big = idx_bytes({1024, 1024}, {});
  EXPECT_FALSE(parse_idx(big.data(), big.size(), "x", &error, 1000));
  EXPECT_EQ(error, "x: shape [1024,1024] holds more than the 1000 bytes read at most");
}

TEST_F(DatasetTest, IdxDirectoryErrorsNameTheFile) {
  const std::string dir = write_idx_dir("d");
  std::string error;
  // Labels below the classes a model has.
  EXPECT_FALSE(load_dataset(dir, {.split = "train", .num_classes = 2}, &error));
  expect_error(error, path("d/train-labels-idx1-ubyte") + ": ",
               "sample 0: label 2 is outside the 2 classes 0..1");
  // Counts that differ.
  write("d/train-labels-idx1-ubyte", idx_bytes({2}, {0, 1}));
  EXPECT_FALSE(load_dataset(dir, {}, &error));
  EXPECT_EQ(error, path("d/train-labels-idx1-ubyte") + ": 2 labels for 3 images in " +
                       path("d/train-images-idx3-ubyte"));
  write("d/train-labels-idx1-ubyte", idx_bytes({3, 1}, {0, 1, 2}));
  EXPECT_FALSE(load_dataset(dir, {}, &error));
  expect_error(error, path("d/train-labels-idx1-ubyte") + ": ", "shape [3,1] is not labels: need [N]");
  write("d/train-images-idx3-ubyte", idx_bytes({0, 2, 2}, {}));
  EXPECT_FALSE(load_dataset(dir, {}, &error));
  expect_error(error, path("d/train-images-idx3-ubyte") + ": ", "no images");
  write("d/train-images-idx3-ubyte", idx_bytes({4}, {1, 2, 3, 4}));
  EXPECT_FALSE(load_dataset(dir, {}, &error));
  expect_error(error, path("d/train-images-idx3-ubyte") + ": ", "shape [4] is not images");
  write("d/train-images-idx3-ubyte", Bytes{1, 2, 3});
  EXPECT_FALSE(load_dataset(dir, {}, &error));
  expect_error(error, path("d/train-images-idx3-ubyte") + ": ", "not an IDX file");
  // A split whose files are absent, and a labels file for IDX data.
  fs::remove(path("d/t10k-images-idx3-ubyte.gz"));
  EXPECT_FALSE(load_dataset(dir, {.split = "test"}, &error));
  EXPECT_EQ(error, dir + ": no t10k-images-idx3-ubyte[.gz] (the test split of an IDX dataset)");
  EXPECT_FALSE(load_dataset(dir, {.split = "validation"}, &error));
  EXPECT_EQ(error, "split 'validation': expected train or test");
  EXPECT_FALSE(load_dataset(dir, {.labels = "y.npy"}, &error));
  expect_error(error, dir + ": ", "a labels file (y.npy) goes with .npy samples");
  // Neither IDX nor .npy, a missing path, an unknown format.
  fs::create_directories(path("empty"));
  EXPECT_FALSE(load_dataset(path("empty"), {}, &error));
  expect_error(error, path("empty") + ": ", "neither IDX files");
  EXPECT_FALSE(load_dataset(path("absent.csv"), {}, &error));
  expect_error(error, path("absent.csv") + ": ", "cannot open");
  EXPECT_FALSE(load_dataset(path("absent"), {}, &error));
  EXPECT_EQ(error, path("absent") + ": no such file or directory");
  EXPECT_FALSE(load_dataset(write("x.bin", Bytes{1}), {}, &error));
  expect_error(error, path("x.bin") + ": ", "unknown data format");
}

TEST_F(DatasetTest, NpySamplesWithLabelsBesideThemOrGiven) {
  const std::string x = write_npy("x.npy", {3, 2}, {1, 2, 3, 4, 5, 6});
  std::string error;
  auto unlabelled = load_dataset(x, {}, &error);
  ASSERT_TRUE(unlabelled) << error;
  EXPECT_EQ(unlabelled->format, "npy");
  EXPECT_FALSE(unlabelled->has_labels());
  EXPECT_EQ(unlabelled->samples.values, (std::vector<float>{1, 2, 3, 4, 5, 6}));

  write("x_labels.npy", npy_int_bytes("<i8", "(3,)", le({4, 0, 7}, 8)));
  auto beside = load_dataset(x, {.limit = 2}, &error);
  ASSERT_TRUE(beside) << error;
  EXPECT_EQ(beside->labels, (std::vector<int32_t>{4, 0}));
  EXPECT_EQ(beside->labels_file, path("x_labels.npy"));
  EXPECT_EQ(beside->samples.values, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(beside->source, x + " + " + path("x_labels.npy"));

  const std::string given = write("y.npy", npy_int_bytes("|u1", "(3, 1)", {9, 8, 250}));
  auto explicit_labels = load_dataset(x, {.labels = given}, &error);
  ASSERT_TRUE(explicit_labels) << error;
  EXPECT_EQ(explicit_labels->labels, (std::vector<int32_t>{9, 8, 250}));

  // A directory of .npy files (no IDX files) with --labels.
  write_npy("dir/a.npy", {1, 2}, {1, 2});
  write_npy("dir/b.npy", {2, 2}, {3, 4, 5, 6});
  auto dir = load_dataset(path("dir"), {.labels = given}, &error);
  ASSERT_TRUE(dir) << error;
  EXPECT_EQ(dir->samples.num_samples, 3);
  EXPECT_EQ(dir->labels.size(), 3u);
}

TEST_F(DatasetTest, NpyIntegerLabelsOfEveryWidth) {
  struct Case {
    std::string descr;
    int bytes;
  };
  for (const Case& c : std::vector<Case>{{"|i1", 1},
                                         {"<i1", 1},
                                         {"<i2", 2},
                                         {"<i4", 4},
                                         {"<i8", 8},
                                         {"|u1", 1},
                                         {"<u2", 2},
                                         {"<u4", 4},
                                         {"<u8", 8}}) {
    const bool is_signed = c.descr[1] == 'i';
    const int64_t top = c.bytes == 8 ? std::numeric_limits<int64_t>::max()
                                     : (int64_t{1} << (8 * c.bytes - (is_signed ? 1 : 0))) - 1;
    const std::vector<int64_t> values =
        is_signed ? std::vector<int64_t>{0, -1, top, -top - 1} : std::vector<int64_t>{0, 1, top, 5};
    const Bytes bytes = npy_int_bytes(c.descr, "(4,)", le(values, c.bytes));
    std::string error;
    const auto array = host::parse_npy_int(bytes.data(), bytes.size(), "y.npy", &error);
    ASSERT_TRUE(array) << c.descr << ": " << error;
    EXPECT_EQ(array->shape, (std::vector<int64_t>{4}));
    EXPECT_EQ(array->values, values) << c.descr;
  }
  std::string error;
  const Bytes huge = npy_int_bytes("<u8", "(1,)", le({-1}, 8));
  EXPECT_FALSE(host::parse_npy_int(huge.data(), huge.size(), "y.npy", &error));
  EXPECT_EQ(error, "y.npy: value 0 (18446744073709551615) does not fit int64");
  const Bytes floats = npy_int_bytes("<f4", "(1,)", {0, 0, 0x80, 0x3F});
  EXPECT_FALSE(host::parse_npy_int(floats.data(), floats.size(), "y.npy", &error));
  expect_error(error, "y.npy: ", "dtype '<f4' is not supported: need little-endian integers");
  const Bytes short_data = npy_int_bytes("<i4", "(2,)", {1, 0, 0, 0});
  EXPECT_FALSE(host::parse_npy_int(short_data.data(), short_data.size(), "y.npy", &error));
  EXPECT_EQ(error, "y.npy: data is 4 bytes, shape [2] of int32 needs 8");
}

TEST_F(DatasetTest, NpyErrorsNameTheFile) {
  const std::string x = write_npy("x.npy", {2, 2}, {1, 2, 3, NAN});
  std::string error;
  EXPECT_FALSE(load_dataset(x, {}, &error));
  EXPECT_EQ(error, x + " sample 1, value 1 is NaN");
  write_npy("x.npy", {2, 2}, {1, 2, 3, 4});
  const std::string y = write("x_labels.npy", npy_int_bytes("<i8", "(3,)", le({0, 1, 2}, 8)));
  EXPECT_FALSE(load_dataset(x, {}, &error));
  EXPECT_EQ(error, y + ": 3 labels for 2 samples in " + x);
  write("x_labels.npy", npy_int_bytes("<i4", "(2,)", le({0, -3}, 4)));
  EXPECT_FALSE(load_dataset(x, {}, &error));
  EXPECT_EQ(error, y + ": sample 1: label -3 is not a class index (0, 1, ...)");
  write("x_labels.npy", npy_int_bytes("<i4", "(2,)", le({0, 10}, 4)));
  EXPECT_FALSE(load_dataset(x, {.num_classes = 10}, &error));
  EXPECT_EQ(error, y + ": sample 1: label 10 is outside the 10 classes 0..9");
  write("x_labels.npy", npy_int_bytes("<i4", "(2, 2)", le({0, 1, 1, 0}, 4)));
  EXPECT_FALSE(load_dataset(x, {}, &error));
  expect_error(error, y + ": ", "shape [2,2] is not labels: need [N] or [N,1]");
  EXPECT_FALSE(load_dataset(x, {.labels = path("none.npy")}, &error));
  expect_error(error, path("none.npy") + ": ", "cannot open");
}

TEST_F(DatasetTest, CsvWithOrWithoutHeaderPlainOrGzipped) {
  const std::string text = "label,a,b,c\r\n3,0.5,-1,2e1\r\n\r\n0, 1 ,2,+3\r\n1.0,0,0,0";
  const std::string csv = write("d.csv", text);
  std::string error;
  auto set = load_dataset(csv, {.num_classes = 4}, &error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->format, "csv");
  EXPECT_TRUE(set->flat);
  EXPECT_EQ(set->samples.sample_shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(set->samples.values, (std::vector<float>{0.5f, -1, 20, 1, 2, 3, 0, 0, 0}));
  EXPECT_EQ(set->labels, (std::vector<int32_t>{3, 0, 1}));

  const std::string gz = write("d.csv.gz", gzip_bytes(Bytes(text.begin() + 13, text.end())));  // no header
  auto zipped = load_dataset(gz, {.limit = 1}, &error);
  ASSERT_TRUE(zipped) << error;
  EXPECT_EQ(zipped->samples.values, (std::vector<float>{0.5f, -1, 20}));
  EXPECT_EQ(zipped->labels, (std::vector<int32_t>{3}));
}

TEST_F(DatasetTest, MalformedCsvNamesTheLine) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"", "d.csv: no samples"},
      {"label,x\n", "d.csv: no samples"},
      {"1,2\n1,abc\n", "d.csv line 2: column 2 is not a number"},
      {"1,2\n1,\n", "d.csv line 2: column 2 is empty"},
      {"1,2\n\n1,nan\n", "d.csv line 3: column 2 is NaN"},
      {"1,-inf\n", "d.csv line 1: column 2 is infinite"},
      {"1,2,3\n1,2\n", "d.csv line 2: 1 values, line 1 has 2"},
      {"h,x\n1,2\nx,3\n", "d.csv line 3: the label is not a number"},
      {"1,2\n,3\n", "d.csv line 2: the label is empty"},
      {"1.5,2\n", "d.csv line 1: the label is not an integer"},
      {"-1,2\n", "d.csv line 1: label -1 is not a class index"},
      {"1e300,2\n", "d.csv line 1: label 1e300 is not a class index"},
      {"7,2\n", "d.csv line 1: label 7 is outside the 5 classes 0..4"},
      {"1\n", "d.csv line 1: no values after the label"},
  };
  for (const Case& c : cases) {
    std::string error;
    EXPECT_FALSE(parse_csv(c.text, "d.csv", 5, &error)) << c.text;
    EXPECT_EQ(error.rfind(c.expected, 0), 0u) << "expected '" << c.expected << "', got: " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST_F(DatasetTest, FitToInputShapesFlatRowsAndFeedsFlatInputs) {
  Shape image;
  image.rank = 4;
  image.dims[0] = 1, image.dims[1] = 2, image.dims[2] = 2, image.dims[3] = 1;
  Shape flat;
  flat.rank = 2;
  flat.dims[0] = 1, flat.dims[1] = 4;
  std::string error;

  auto csv = parse_csv("0,1,2,3,4\n1,5,6,7,8\n", "d.csv", 0, &error);
  ASSERT_TRUE(csv) << error;
  ASSERT_TRUE(fit_to_input(&*csv, image, "input 0", &error)) << error;
  EXPECT_EQ(csv->samples.sample_shape, (std::vector<int64_t>{2, 2, 1}));

  const std::string dir = write_idx_dir("mnist");
  auto idx = load_dataset(dir, {}, &error);
  ASSERT_TRUE(idx) << error;
  ASSERT_TRUE(fit_to_input(&*idx, flat, "input 0", &error)) << error;  // [2,2,1] images into [1,4]
  EXPECT_EQ(idx->samples.sample_shape, (std::vector<int64_t>{4}));

  auto wide = parse_csv("0,1,2,3\n", "d.csv", 0, &error);
  ASSERT_TRUE(wide) << error;
  EXPECT_FALSE(fit_to_input(&*wide, image, "input 0", &error));
  EXPECT_EQ(error, "d.csv: rows of 3 values do not fit input 0 [1,2,2,1] (4 values)");

  Shape other = image;
  other.dims[1] = 4, other.dims[2] = 1;
  idx = load_dataset(dir, {}, &error);
  ASSERT_TRUE(idx) << error;
  EXPECT_FALSE(fit_to_input(&*idx, other, "input 0", &error));  // images keep their shape
  EXPECT_NE(error.find("arrays of shape [N,2,2,1] do not fit input 0 [1,4,1,1]"), std::string::npos) << error;
}

}  // namespace
}  // namespace edgeinfer::compiler::data
