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

TEST(SpecTest, BatchNormAddAndLabels) {
  const NetworkSpec spec = parse_spec(
      "in: input 8x8x4\n"         // 1
      "conv2d 4 3x3\n"            // 2
      "batchnorm\n"               // 3
      "add in relu\n"             // 4: the input
      "b1 : Conv2D 4 1x1 relu\n"  // 5: labels may have a space before the colon; case does not matter
      "depthwise 3x3\n"           // 6
      "bn:batchnorm relu6\n"      // 7: or no space after it
      "add B1\n"                  // 8
      "add bn\n"                  // 9
      "globalavgpool\n"           // 10
      "d: dense 4\n"              // 11
      "add d relu6 # twice d\n"   // 12: the line just before
      "dense 3 softmax\n");
  EXPECT_EQ(spec.input_label, "in");
  ASSERT_EQ(spec.layers.size(), 12u);
  const auto& l = spec.layers;
  EXPECT_EQ(l[1].kind, LayerKind::kBatchNorm);
  EXPECT_EQ(l[1].activation, Activation::kNone);
  EXPECT_EQ(l[1].out.str(), "8x8x4");
  EXPECT_EQ(l[1].parameter_count(), 8);  // gamma and beta; the moving statistics are not trained
  EXPECT_TRUE(l[1].weight_shape().empty());
  EXPECT_FALSE(l[1].trainable());
  EXPECT_EQ(l[2].kind, LayerKind::kAdd);
  EXPECT_EQ(l[2].residual, -1);
  EXPECT_EQ(l[2].activation, Activation::kRelu);
  EXPECT_EQ(l[2].parameter_count(), 0);
  EXPECT_EQ(l[3].label, "b1");
  EXPECT_EQ(l[5].label, "bn");
  EXPECT_EQ(l[5].activation, Activation::kRelu6);
  EXPECT_EQ(l[6].residual, 3);
  EXPECT_EQ(l[7].residual, 5);
  EXPECT_EQ(l[9].line, 11);
  EXPECT_EQ(l[10].residual, 9);
  EXPECT_EQ(l[10].out.str(), "4");
  EXPECT_EQ(l[10].activation, Activation::kRelu6);
  EXPECT_EQ(spec.layer_label(5), "batchnorm_2");
  EXPECT_EQ(spec.layer_label(7), "add_3");
  EXPECT_EQ(spec.output_activation(), Activation::kSoftmax);
  EXPECT_EQ(spec.parameter_count(),
            (36 * 4 + 4) + 8 + (4 * 4 + 4) + (9 * 4 + 4) + 8 + (4 * 4 + 4) + (4 * 3 + 3));
  const std::string summary = spec.summary();
  for (const char* line :
       {"in: input 8x8x4\n", "batchnorm none  -> 8x8x4  8 params\n", "add in relu  -> 8x8x4\n",
        "b1: conv2d 4 1x1 stride 1 same relu  -> 8x8x4  20 params\n",
        "bn: batchnorm relu6  -> 8x8x4  8 params\n", "add b1 none  -> 8x8x4\n"}) {
    EXPECT_NE(summary.find(line), std::string::npos) << line << "\n" << summary;
  }
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
      // batchnorm
      {"input 8x8x1\nbatchnorm",
       "line 2: batchnorm must follow conv2d, depthwise or dense with no activation (it follows the input)"},
      {"input 8x8x1\nmaxpool 2x2\nbatchnorm",
       "line 3: batchnorm must follow conv2d, depthwise or dense with no activation (line 2 is maxpool)"},
      {"input 8x8x1\nconv2d 4 3x3 relu\nbatchnorm",
       "line 3: batchnorm must follow conv2d, depthwise or dense with no activation (line 2 is conv2d relu)"},
      {"input 8x8x1\nconv2d 4 3x3\ndropout 0.1\nbatchnorm",
       "line 4: batchnorm must follow conv2d, depthwise or dense with no activation"},
      {"input 8x8x1\nconv2d 4 3x3\nbatchnorm\nbatchnorm",
       "line 4: batchnorm must follow conv2d, depthwise or dense with no activation"},
      {"x: input 4\ndense 4\nadd x\nbatchnorm",
       "line 4: batchnorm must follow conv2d, depthwise or dense with no activation (line 3 is add)"},
      {"input 4\ndense 4\nbatchnorm softmax", "line 3: unknown activation 'softmax' for batchnorm"},
      {"input 4\ndense 4\nbatchnorm 3", "line 3: unknown activation '3' for batchnorm"},
      {"input 4\ndense 4\nbatchnorm relu relu", "line 3: unexpected 'relu' after batchnorm"},
      {"input 8x8x1\nc: conv2d 4 3x3\nbatchnorm",
       "line 3: batchnorm cannot follow a labelled line ('c' on line 2)"},
      // labels and add
      {"input 8x8x1\nadd", "line 2: add needs a label: add NAME [relu|relu6|none]"},
      {"input 8x8x1\nconv2d 1 3x3\nadd x", "line 3: add: no earlier line is labelled 'x'"},
      {"input 8x8x1\nx: add x", "line 2: add: no earlier line is labelled 'x'"},
      {"input 8x8x1\nadd x\nx: conv2d 1 3x3", "line 2: add: no earlier line is labelled 'x'"},
      {"x: input 8x8x1\nconv2d 2 3x3\nadd x",
       "line 3: add x: its output (line 1) is 8x8x1, the current output 8x8x2 (they must have the same "
       "shape)"},
      {"x: input 8x8x1\nflatten\nadd x",
       "line 3: add x: its output (line 1) is 8x8x1, the current output 64"},
      {"input 8x8x1\nx: conv2d 2 3x3 stride 2\nconv2d 2 3x3 valid\n\nadd x relu",
       "line 5: add x: its output (line 2) is 4x4x2, the current output 2x2x2"},
      {"x: input 4\ndense 4\nadd x softmax", "line 3: unknown activation 'softmax' for add"},
      {"x: input 4\ndense 4\nadd x relu relu", "line 3: unexpected 'relu' after add"},
      {"x: input 4\nx: dense 4", "line 2: label 'x' is already used on line 1"},
      {"input 4\n1x: dense 4", "line 2: bad label '1x:'"},
      {"input 4\na-b: dense 4", "line 2: bad label 'a-b:'"},
      {"input 4\n: dense 4", "line 2: bad label ':'"},
      {"input 4\nx:", "line 2: label 'x' needs a layer after it"},
      {"x: input 4\ndense 2 softmax\nadd x", "line 3: softmax (line 2) must be in the last layer"},
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
