#include "compiler/train/spec.h"

#include <gtest/gtest.h>

#include <string>

namespace edgeinfer::compiler::train {
namespace {

TEST(SpecTest, ParsesEveryLayerWithDefaultsAndTfliteShapes) {
  const NetworkSpec spec = parse_spec(
      "# a comment line\n"
      "input 28x28x1\n"
      "\n"
      "conv2d 8 3x3 relu          # stride 1, same\n"
      "conv2d 16 3x3 stride 2 valid\n"
      "DepthWise 3x3 stride 2 relu6\n"
      "maxpool 2x2                # stride 2, valid (Keras)\n"
      "avgpool 2x2 stride 1 same\n"
      "globalavgpool\n"
      "dropout 0.25\n"
      "dense 10 softmax\n");
  EXPECT_EQ(spec.input, (FeatureShape{28, 28, 1, false}));
  ASSERT_EQ(spec.layers.size(), 8u);
  const auto& l = spec.layers;
  EXPECT_EQ(l[0].kind, LayerKind::kConv2D);
  EXPECT_EQ(l[0].line, 4);
  EXPECT_EQ(l[0].stride, 1);
  EXPECT_EQ(l[0].padding, PaddingType::kSame);
  EXPECT_EQ(l[0].activation, Activation::kRelu);
  EXPECT_EQ(l[0].out.str(), "28x28x8");
  EXPECT_EQ(l[1].out.str(), "13x13x16");  // (28 - 3 + 2) / 2
  EXPECT_EQ(l[1].activation, Activation::kNone);
  EXPECT_EQ(l[2].kind, LayerKind::kDepthwise);
  EXPECT_EQ(l[2].out.str(), "7x7x16");  // ceil(13 / 2)
  EXPECT_EQ(l[3].stride, 2);
  EXPECT_EQ(l[3].padding, PaddingType::kValid);
  EXPECT_EQ(l[3].out.str(), "3x3x16");
  EXPECT_EQ(l[4].out.str(), "3x3x16");
  EXPECT_EQ(l[5].out.str(), "16");
  EXPECT_TRUE(l[5].out.flat);
  EXPECT_DOUBLE_EQ(l[6].rate, 0.25);
  EXPECT_EQ(l[7].out.str(), "10");
  EXPECT_EQ(spec.output_activation(), Activation::kSoftmax);
  // Parameters: conv 8*9+8, conv 16*72+16, depthwise 9*16+16, dense 16*10+10.
  EXPECT_EQ(l[0].parameter_count(), 80);
  EXPECT_EQ(l[1].weight_shape(), (std::vector<int32_t>{16, 3, 3, 8}));
  EXPECT_EQ(l[2].weight_shape(), (std::vector<int32_t>{1, 3, 3, 16}));
  EXPECT_EQ(l[7].weight_shape(), (std::vector<int32_t>{10, 16}));
  EXPECT_EQ(spec.parameter_count(), 80 + 1168 + 160 + 170);
  EXPECT_EQ(spec.layer_label(1), "conv2d_2");
  EXPECT_EQ(spec.layer_label(7), "dense_1");
  EXPECT_NE(spec.summary().find("conv2d 16 3x3 stride 2 valid none  -> 13x13x16  1168 params"),
            std::string::npos)
      << spec.summary();
}

TEST(SpecTest, FlatInputsFlattenAndNonSquareKernels) {
  const NetworkSpec spec = parse_spec("input 5x7x2\nconv2d 3 2x3 valid\nflatten\ndense 4 relu\ndense 20\n");
  EXPECT_EQ(spec.layers[0].out.str(), "4x5x3");
  EXPECT_EQ(spec.layers[1].out.str(), "60");
  EXPECT_EQ(spec.output().str(), "20");
  EXPECT_EQ(spec.output_activation(), Activation::kNone);
  const NetworkSpec flat = parse_spec("input 640\ndense 128 relu\ndense 640");
  EXPECT_TRUE(flat.input.flat);
  EXPECT_EQ(flat.output().size(), 640);
}

TEST(SpecTest, ErrorsNameTheLineAndTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "line 1: the spec has no input line"},
      {"# only a comment\n", "the spec has no input line"},
      {"conv2d 8 3x3\n", "line 1: the first layer must be 'input HxWxC'"},
      {"input 8x8x1\n", "line 1: no layers after the input"},
      {"input 8x8x1\ninput 8x8x1\ndense 2", "line 2: a second input line (the first is line 1)"},
      {"input 8x8\ndense 2", "line 1: bad input shape '8x8'"},
      {"input 8x8x1\nconv3d 8 3x3", "line 2: unknown layer 'conv3d'"},
      {"input 8x8x1\nconv2d eight 3x3", "line 2: bad filter count 'eight'"},
      {"input 8x8x1\nconv2d 0 3x3", "line 2: bad filter count '0'"},
      {"input 8x8x1\nconv2d 8 3x3x3", "line 2: bad kernel size '3x3x3'"},
      {"input 8x8x1\nconv2d 8", "line 2: conv2d needs a kernel size"},
      {"input 8x8x1\nconv2d 8 3x3 stride", "line 2: 'stride' needs a number"},
      {"input 8x8x1\nconv2d 8 3x3 stride -1", "line 2: bad stride '-1'"},
      {"input 8x8x1\nconv2d 8 3x3 same valid", "line 2: padding given twice"},
      {"input 8x8x1\nconv2d 8 3x3 softmax", "line 2: unknown option 'softmax' for conv2d"},
      {"input 8x8x1\nmaxpool 2x2 relu", "line 2: unknown option 'relu' for maxpool"},
      {"input 8x8x1\nconv2d 2 9x9 valid", "line 2: conv2d 9x9 stride 1 valid turns 8x8x1 into 0x0x2"},
      {"input 8x8x1\n\nmaxpool 4x4\nmaxpool 4x4\n",
       "line 4: maxpool 4x4 stride 4 valid turns 2x2x1 into 0x0x1"},
      {"input 8x8x1\ndense 2", "line 2: dense needs a flat input, but it gets 8x8x1"},
      {"input 8x8x1\nflatten\nconv2d 2 3x3", "line 3: conv2d needs an HxWxC input, but it gets a flat 64"},
      {"input 8x8x1\nflatten\ndense 2 softmax\ndropout 0.5",
       "line 4: softmax (line 3) must be in the last layer"},
      {"input 8x8x1\nflatten\ndense 2 sigmoid", "line 3: unknown activation 'sigmoid' for dense"},
      {"input 8x8x1\nflatten\ndense 2 relu relu", "line 3: unexpected 'relu' after dense"},
      {"input 8x8x1\ndropout 1", "line 2: bad dropout rate '1'"},
      {"input 8x8x1\ndropout x", "line 2: bad dropout rate 'x'"},
      {"input 8x8x1\nflatten 3", "line 2: unexpected '3' after flatten"},
      {"input 8x8x1\nmaxpool 2x3", "line 2: maxpool 2x3 needs an explicit stride"},
      {"input 64x64x64\nconv2d 65536 3x3", "line 2: conv2d is too large"},
      {"input 8x8x1\nconv2d 99999999999 3x3", "line 2: bad filter count '99999999999'"},
  };
  for (const auto& [text, message] : cases) {
    try {
      parse_spec(text);
      ADD_FAILURE() << "no error for: " << text;
    } catch (const SpecError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos)
          << "spec: " << text << "\nerror: " << e.what() << "\nwanted: " << message;
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace edgeinfer::compiler::train
