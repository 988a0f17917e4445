// The rules `canaryd demo` judges with: rules/examples/demo.yaml, compiled into the binary.
#pragma once

#include <string_view>

namespace canaryd {

inline constexpr std::string_view kDemoRulesName = "rules/examples/demo.yaml";
std::string_view DemoRulesYaml();

}  // namespace canaryd
