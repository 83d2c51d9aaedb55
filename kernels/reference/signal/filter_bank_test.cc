#include "kernels/reference/signal/filter_bank.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using testing::expect_error;
using testing::values_of;
namespace st = testing::signal_test;

constexpr const char* kOp = "SignalFilterBank";
const Kernel& kernel() {
  return reference::signal::filter_bank();
}

std::vector<uint8_t> channels_option(int32_t num_channels) {
  return st::options([&](flexbuffers::Builder& b) { b.Int("num_channels", num_channels); });
}

// A filter bank op: the spectrum is the graph input, the five tables are constants (or, with
// `tables_as_inputs`, graph inputs after the spectrum).
struct Bank {
  int32_t num_channels = 0;
  int32_t spectrum_size = 0;
  std::vector<int16_t> weights, unweights, frequency_starts, weight_starts, widths;
  int32_t output_size = -1;  // default num_channels

  std::vector<uint8_t> model(bool tables_as_inputs = false) const {
    auto table = [&](const std::vector<int16_t>& values) {
      const std::vector<int32_t> shape = {static_cast<int32_t>(values.size())};
      return tables_as_inputs ? st::tensor(DataType::kInt16, shape)
                              : st::constant(DataType::kInt16, shape, values);
    };
    return st::custom_op_model(
        kOp,
        {st::tensor(DataType::kUInt32, {spectrum_size}), table(weights), table(unweights),
         table(frequency_starts), table(weight_starts), table(widths)},
        {st::tensor(DataType::kUInt64, {output_size < 0 ? num_channels : output_size})},
        channels_option(num_channels));
  }
  std::vector<uint64_t> run(const std::vector<uint32_t>& spectrum) const {
    const auto outputs = st::run_once(model(), kOp, kernel(), {testing::bytes_of(spectrum)});
    return outputs.empty() ? std::vector<uint64_t>{} : values_of<uint64_t>(outputs[0]);
  }
};

// Two channels over four bins. Channel 0 (bin 1) starts with the unweighted bin 0 of the scratch channel;
// channel 1 (bins 2, 3) starts with the unweighted bin 1:
//   out[0] = 5*10 + 2*20 = 90,  out[1] = 6*20 + 3*30 + 4*40 = 370.
Bank small_bank() {
  Bank bank;
  bank.num_channels = 2;
  bank.spectrum_size = 4;
  bank.weights = {1, 2, 3, 4};
  bank.unweights = {5, 6, 7, 8};
  bank.frequency_starts = {0, 1, 2};
  bank.weight_starts = {0, 1, 2};
  bank.widths = {1, 1, 2};
  return bank;
}

TEST(SignalFilterBank, HandComputedTwoChannels) {
  EXPECT_EQ(small_bank().run({10, 20, 30, 40}), (std::vector<uint64_t>{90, 370}));
}

TEST(SignalFilterBank, PureFunctionMatchesTheKernel) {
  const Bank bank = small_bank();
  reference::signal::FilterBankTables t;
  t.num_channels = 2;
  t.weights = bank.weights.data();
  t.unweights = bank.unweights.data();
  t.channel_frequency_starts = bank.frequency_starts.data();
  t.channel_weight_starts = bank.weight_starts.data();
  t.channel_widths = bank.widths.data();
  ASSERT_TRUE(reference::signal::check_filter_bank_tables(t, 4, 4, 4).is_ok());
  EXPECT_FALSE(reference::signal::check_filter_bank_tables(t, 3, 4, 4).is_ok());  // bin 3 missing
  EXPECT_FALSE(reference::signal::check_filter_bank_tables(t, 4, 4, 3).is_ok());  // unweight 3 missing
  const std::vector<uint32_t> spectrum = {10, 20, 30, 40};
  std::vector<uint64_t> out(2);
  reference::signal::filter_bank_accumulate(t, spectrum.data(), out.data(), 2);
  EXPECT_EQ(out, (std::vector<uint64_t>{90, 370}));
}

TEST(SignalFilterBank, OutputMayHoldFewerChannels) {
  Bank bank = small_bank();
  bank.output_size = 1;  // TFLM copies out a prefix of the channels
  EXPECT_EQ(bank.run({10, 20, 30, 40}), (std::vector<uint64_t>{90}));
}

TEST(SignalFilterBank, NegativeWeightsAndLargeSumsWrapModulo2To64) {
  Bank bank;
  bank.num_channels = 1;
  bank.spectrum_size = 2;
  bank.weights = {-1, 32767};
  bank.unweights = {0, 0};
  bank.frequency_starts = {0, 0};
  bank.weight_starts = {0, 0};
  bank.widths = {0, 2};
  // (2^64 - 1) * 3 + 32767 * (2^32 - 1), modulo 2^64.
  const uint64_t expected = uint64_t{0} - 3 + uint64_t{32767} * 0xFFFFFFFFu;
  EXPECT_EQ(bank.run({3, 0xFFFFFFFFu}), (std::vector<uint64_t>{expected}));
}

// TFLM's FilterBankTest32Channel (signal/micro/kernels/filter_bank_test.cc): its inputs and expected output.
TEST(SignalFilterBank, TflmTest32Channels) {
  Bank bank;
  bank.num_channels = 32;
  bank.spectrum_size = 257;
  bank.weights = {1133, 2373, 3712, 1047, 2564, 66,   1740, 3486, 1202, 3079, 919,  2913, 865,  2964, 1015,
                  3210, 1352, 3633, 1859, 123,  2520, 856,  3323, 1726, 161,  2722, 1215, 3833, 2382, 956,
                  3652, 2276, 923,  3689, 2380, 1093, 3922, 2676, 1448, 239,  3144, 1970, 814,  3770, 2646,
                  1538, 445,  3463, 2399, 1349, 313,  3386, 2376, 1379, 394,  3517, 2556, 1607, 668,  3837,
                  2920, 2013, 1117, 231,  3450, 2583, 1725, 877,  37,   3302, 2480, 1666, 861,  63,   3369,
                  2588, 1813, 1046, 287,  3630, 2885, 2147, 1415, 690,  4067, 3355, 2650, 1950, 1257, 569,
                  3984, 3308, 2638, 1973, 1314, 661,  12,   3465, 2827, 2194, 1566, 943,  325,  3808, 3199,
                  2595, 1996, 1401, 810,  224,  3738, 3160, 2586, 2017, 1451, 890,  332};
  bank.unweights = {2962, 1722, 383,  3048, 1531, 4029, 2355, 609,  2893, 1016, 3176, 1182, 3230, 1131, 3080,
                    885,  2743, 462,  2236, 3972, 1575, 3239, 772,  2369, 3934, 1373, 2880, 262,  1713, 3139,
                    443,  1819, 3172, 406,  1715, 3002, 173,  1419, 2647, 3856, 951,  2125, 3281, 325,  1449,
                    2557, 3650, 632,  1696, 2746, 3782, 709,  1719, 2716, 3701, 578,  1539, 2488, 3427, 258,
                    1175, 2082, 2978, 3864, 645,  1512, 2370, 3218, 4058, 793,  1615, 2429, 3234, 4032, 726,
                    1507, 2282, 3049, 3808, 465,  1210, 1948, 2680, 3405, 28,   740,  1445, 2145, 2838, 3526,
                    111,  787,  1457, 2122, 2781, 3434, 4083, 630,  1268, 1901, 2529, 3152, 3770, 287,  896,
                    1500, 2099, 2694, 3285, 3871, 357,  935,  1509, 2078, 2644, 3205, 3763};
  bank.frequency_starts = {5,  6,  7,  9,  11, 12, 14, 16, 18, 20, 22, 25, 27, 30,  32,  35, 38,
                           41, 45, 48, 52, 56, 60, 64, 69, 74, 79, 84, 89, 95, 102, 108, 115};
  bank.weight_starts = {0,  1,  2,  4,  6,  7,  9,  11, 13, 15, 17, 20, 22, 25, 27,  30, 33,
                        36, 40, 43, 47, 51, 55, 59, 64, 69, 74, 79, 84, 90, 97, 103, 110};
  bank.widths = {1, 1, 2, 2, 1, 2, 2, 2, 2, 2, 3, 2, 3, 2, 3, 3, 3,
                 4, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 7, 6, 7, 7};
  const std::vector<uint32_t> spectrum = {
      65451,      11468838,   4280615122, 4283105055, 30080683,   969970,     1168164,    192770,
      344209,     1811809,    1740724,    586130,     305045,     17981,      169273,     103321,
      85277,      529901,     524660,     116609,     29653,      64345,      13121,      273956,
      593748,     463432,     348169,     77545,      2117,       19277,      13837,      85,
      16322,      1325,       69584,      233930,     253273,     94180,      8642,       104245,
      151937,     231970,     90405,      95849,      106285,     81938,      76226,      103337,
      303250,     337705,     75140,      43874,      33730,      44761,      117608,     57322,
      9945,       19816,      48674,      19465,      15696,      52229,      103738,     102541,
      126421,     133157,     33680,      7738,       45029,      57122,      61605,      60138,
      26170,      41444,      210994,     238338,     74324,      21460,      33125,      3940,
      15481,      7709,       24929,      17714,      170993,     91978,      45965,      214133,
      96832,      1800,       16717,      42341,      87421,      114341,     65161,      26260,
      135077,     245000,     122117,     81188,      107753,     74125,      86432,      91460,
      29648,      2069,       3161,       5002,       784,        1152,       1424,       277,
      452,        2696,       3610,       2120,       2617,       562,        1153,       4610,
      2906,       65,         786450,     4293722107, 0,          393208,     2,          196608,
      65539,      65537,      4294967295, 65537,      4294901762, 65535,      4294770689, 65533,
      131073,     4294901761, 131071,     131071,     65535,      4294901764, 4294967295, 0,
      4294901758, 4294901761, 196607,     4294836224, 131070,     4294901762, 4294901759, 196608,
      4294901761, 131071,     131070,     65538,      0,          4294901761, 65536,      4294836225,
      65536,      4294836225, 4294901757, 65535,      4294901760, 196607,     4294967295, 0,
      131071,     4294901762, 4294836221, 196608,     65536,      1,          131074,     4294770690,
      4294967291, 196611,     4294770687, 262143,     4294901759, 131071,     1,          4294901759,
      196607,     4294705153, 196607,     4294967294, 65536,      1,          4294901759, 65536,
      0,          65536,      65537,      4294901759, 65536,      3,          4294836222, 65534,
      65536,      65538,      4294836225, 4294901760, 4294901761, 4294967293, 0,          65534,
      131070,     65537,      4294901762, 65536,      2,          4294836224, 1,          4294901760,
      0,          4294967294, 131073,     4294901760, 65535,      131073,     4294836224, 65536,
      4294901760, 4294901760, 4294967295, 4294901761, 131071,     4294901760, 131071,     4294836224,
      2,          4294901758, 4294967292, 131073,     0,          65535,      0,          4294901760,
      4294967295, 131073,     4294901764, 4294836223, 4294967295, 65535,      65537,      65533,
      3,          131072,     4294836224, 65537,      1,          4294967293, 196611,     4294901759,
      1};
  const std::vector<uint64_t> expected = {
      5645104312, 3087527471, 5883346002, 10807122775, 2465336182, 853935004,  1206905130, 3485828019,
      1134726750, 832725041,  4442875878, 2122064365,  178483220,  151483681,  1742660113, 1309124116,
      1954305288, 1323857378, 2750861165, 1340947482,  792522630,  669257768,  1659699572, 940652856,
      1957080469, 1034203505, 1541805928, 1710818326,  2432875876, 2254716277, 275382345,  57293224};
  EXPECT_EQ(bank.run(spectrum), expected);
}

// TFLM's FilterBankTest16Channel: a negative weight and a last channel starting before its predecessor.
TEST(SignalFilterBank, TflmTest16Channels) {
  Bank bank;
  bank.num_channels = 16;
  bank.spectrum_size = 129;
  bank.weights = {-2210, 1711, 3237, 1247, 2507, 61,   1019, 899,  206,  146,  2849, 2756, 1260, 1280, 1951,
                  213,   617,  2047, 211,  347,  2821, 3747, 150,  1924, 3962, 942,  1430, 2678, 993,  308,
                  3364,  2491, 954,  1308, 879,  3950, 1,    3556, 3628, 2104, 78,   1298, 1080, 342,  1337,
                  1639,  2352, 829,  1358, 2498, 1647, 2507, 3816, 3767, 3735, 1155, 2221, 2196, 1160};
  bank.unweights = {408,  3574, 1880, 2561, 2011, 3394, 1019, 445,  3901, 343,  1874, 3846, 3566, 1830, 327,
                    111,  623,  1037, 2803, 1947, 1518, 661,  3239, 2351, 1257, 269,  1574, 3431, 3972, 2487,
                    2181, 1458, 552,  717,  679,  1031, 1738, 1782, 128,  2242, 353,  1460, 3305, 1424, 3813,
                    2895, 164,  272,  3886, 3135, 141,  747,  3233, 1478, 2612, 3837, 3271, 73,   1746};
  bank.frequency_starts = {5, 6, 7, 9, 11, 12, 14, 16, 18, 20, 22, 25, 27, 30, 32, 35, 33};
  bank.weight_starts = {0, 1, 2, 4, 6, 7, 9, 11, 13, 15, 17, 20, 22, 25, 27, 30, 33};
  bank.widths = {1, 1, 2, 2, 1, 2, 2, 2, 2, 2, 3, 2, 3, 2, 3, 3, 3};
  const std::vector<uint32_t> spectrum = {
      645050, 4644,  3653,  24262, 56660, 43260, 50584, 57902, 31702, 5401,  45555, 34852, 8518,
      43556,  13358, 19350, 40221, 18017, 27284, 64491, 60099, 17863, 11001, 29076, 32666, 65268,
      50947,  28694, 32377, 30014, 25607, 22547, 45086, 10654, 46797, 8622,  47348, 43085, 5747,
      51544,  50364, 6208,  20696, 59782, 14429, 60125, 37079, 32673, 63457, 60142, 34042, 11280,
      1874,   33734, 62118, 13766, 54398, 47818, 50976, 46930, 25906, 59441, 25958, 59136, 1756,
      18652,  29213, 13379, 51845, 1207,  55626, 27108, 43771, 35236, 3374,  40959, 47707, 41540,
      34282,  27094, 36329, 13593, 65257, 47006, 46857, 1114,  37106, 18738, 25969, 15461, 2842,
      36470,  32489, 61622, 23613, 29624, 32820, 30438, 9543,  6767,  23037, 52896, 12059, 32264,
      11575,  42400, 43344, 27511, 16712, 6877,  4910,  50047, 61569, 57237, 48558, 2310,  22192,
      7874,   46141, 64056, 61997, 7298,  31372, 25316, 683,   58940, 18755, 17898, 19196};
  const std::vector<uint64_t> expected = {104199304, 407748384, 206363744, 200989269, 52144406,  230780884,
                                          174394190, 379684049, 94840835,  57788823,  531528204, 318265707,
                                          263149795, 188110467, 501443259, 200747781};
  EXPECT_EQ(bank.run(spectrum), expected);
}

// Tables computed by the graph are checked when their values exist: in every eval.
TEST(SignalFilterBank, TablesFromGraphInputsAreCheckedInEval) {
  Bank bank = small_bank();
  const std::vector<uint8_t> model = bank.model(/*tables_as_inputs=*/true);
  st::Session session;
  ASSERT_TRUE(session.open(model, kOp, kernel()).is_ok());
  auto set_tables = [&](const Bank& b) {
    session.set_input<uint32_t>(0, {10, 20, 30, 40});
    session.set_input(1, b.weights);
    session.set_input(2, b.unweights);
    session.set_input(3, b.frequency_starts);
    session.set_input(4, b.weight_starts);
    session.set_input(5, b.widths);
  };
  set_tables(bank);
  ASSERT_TRUE(session.invoke().is_ok());
  EXPECT_EQ(session.output<uint64_t>(0), (std::vector<uint64_t>{90, 370}));
  Bank bad = bank;
  bad.frequency_starts[2] = 3;  // bins 3 and 4 of a 4-bin spectrum
  set_tables(bad);
  expect_error(session.invoke(), StatusCode::kInvalidModel, "channel 2 covers spectrum bins [3, 5)");
  bad = bank;
  bad.weight_starts[1] = -1;
  set_tables(bad);
  expect_error(session.invoke(), StatusCode::kInvalidModel, "channel 1 uses weights [-1, 0)");
}

TEST(SignalFilterBank, RejectsBadTablesInPrepare) {
  Bank bank = small_bank();
  bank.frequency_starts[1] = -1;
  expect_error(st::allocate_status(bank.model(), kOp, kernel()), StatusCode::kInvalidModel,
               "channel 1 covers spectrum bins [-1, 0)");
  bank = small_bank();
  bank.widths[2] = 3;  // bins 2..4
  expect_error(st::allocate_status(bank.model(), kOp, kernel()), StatusCode::kInvalidModel,
               "covers spectrum bins [2, 5), the input has 4");
  bank = small_bank();
  bank.weight_starts[2] = 3;  // weights 3..4 of 4
  expect_error(st::allocate_status(bank.model(), kOp, kernel()), StatusCode::kInvalidModel,
               "channel 2 uses weights [3, 5)");
  bank = small_bank();
  bank.unweights.pop_back();
  expect_error(st::allocate_status(bank.model(), kOp, kernel()), StatusCode::kInvalidModel, "unweights 3");
  bank = small_bank();
  bank.widths = {1, 1};  // num_channels + 1 entries needed
  expect_error(st::allocate_status(bank.model(), kOp, kernel()), StatusCode::kInvalidModel,
               "channel_widths has 2 elements, num_channels + 1 gives 3");
  // An empty band reads nothing, wherever it claims to start.
  bank = small_bank();
  bank.frequency_starts[0] = 30000;
  bank.widths[0] = 0;
  EXPECT_TRUE(st::allocate_status(bank.model(), kOp, kernel()).is_ok());
}

TEST(SignalFilterBank, RejectsBadOptionsAndTensors) {
  Bank bank = small_bank();
  auto with_options = [&](const std::vector<uint8_t>& options) {
    return st::custom_op_model(
        kOp,
        {st::tensor(DataType::kUInt32, {4}), st::constant(DataType::kInt16, {4}, bank.weights),
         st::constant(DataType::kInt16, {4}, bank.unweights),
         st::constant(DataType::kInt16, {3}, bank.frequency_starts),
         st::constant(DataType::kInt16, {3}, bank.weight_starts),
         st::constant(DataType::kInt16, {3}, bank.widths)},
        {st::tensor(DataType::kUInt64, {2})}, options);
  };
  expect_error(st::allocate_status(with_options(channels_option(0)), kOp, kernel()),
               StatusCode::kInvalidModel, "num_channels");
  expect_error(st::allocate_status(with_options(channels_option(-5)), kOp, kernel()),
               StatusCode::kInvalidModel, "num_channels");
  expect_error(st::allocate_status(with_options(channels_option(2147483647)), kOp, kernel()),
               StatusCode::kInvalidModel, "num_channels");
  expect_error(
      st::allocate_status(with_options(st::options([](flexbuffers::Builder& b) { b.Int("other", 2); })), kOp,
                          kernel()),
      StatusCode::kInvalidModel, "num_channels");
  expect_error(st::allocate_status(with_options({}), kOp, kernel()), StatusCode::kInvalidModel, "");

  bank.output_size = 3;
  expect_error(st::allocate_status(bank.model(), kOp, kernel()), StatusCode::kInvalidModel,
               "output has 3 elements, more than num_channels 2");

  const std::vector<int16_t> t3 = {0, 1, 2};
  const auto spectrum = st::tensor(DataType::kUInt32, {4});
  const auto w = st::constant(DataType::kInt16, {4}, std::vector<int16_t>{1, 2, 3, 4});
  const auto tables = st::constant(DataType::kInt16, {3}, t3);
  const auto out = st::tensor(DataType::kUInt64, {2});
  auto status = [&](std::vector<st::OpTensor> inputs, std::vector<st::OpTensor> outputs) {
    return st::allocate_status(st::custom_op_model(kOp, inputs, outputs, channels_option(2)), kOp, kernel());
  };
  EXPECT_TRUE(status({spectrum, w, w, tables, tables, tables}, {out}).is_ok());
  expect_error(status({st::tensor(DataType::kInt32, {4}), w, w, tables, tables, tables}, {out}),
               StatusCode::kUnsupported, "input has unsupported type int32");
  expect_error(status({st::tensor(DataType::kUInt32, {1, 4}), w, w, tables, tables, tables}, {out}),
               StatusCode::kInvalidModel, "input has rank 2, expected 1");
  expect_error(status({spectrum, st::constant(DataType::kInt32, {4}, std::vector<int32_t>{1, 2, 3, 4}), w,
                       tables, tables, tables},
                      {out}),
               StatusCode::kUnsupported, "weights has unsupported type");
  expect_error(status({spectrum, w, w, tables, tables, tables}, {st::tensor(DataType::kUInt32, {2})}),
               StatusCode::kUnsupported, "output has unsupported type uint32");
  expect_error(status({spectrum, w, w, tables, tables, tables}, {st::tensor(DataType::kUInt64, {1, 2})}),
               StatusCode::kInvalidModel, "output has rank 2");
  expect_error(status({spectrum, w, w, tables, tables}, {out}), StatusCode::kInvalidModel, "has 5 inputs");
}

TEST(SignalFilterBank, MatchesTflmOnTheAudioPreprocessors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_int8", kOp, kernel()), 1);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_float", kOp, kernel()), 1);
}

}  // namespace
}  // namespace edgeinfer
