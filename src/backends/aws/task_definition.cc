#include "backends/aws/task_definition.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <tuple>

#include "backends/aws/one_off_task.h"
#include "backends/aws/tenant_secret.h"
#include "backends/wordpress_install.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

json secret_from(const std::string& variable, const std::string& secret_arn,
                 const std::string& key) {
  // "<arn>:<json key>:<version stage>:<version id>", the last two empty: the current one.
  return {{"name", variable}, {"valueFrom", secret_arn + ":" + key + "::"}};
}

// name -> value of a list of {name, value} or {name, valueFrom} objects.
std::map<std::string, std::string> by_name(const json& list, const char* value_key) {
  std::map<std::string, std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (!item.is_object()) continue;
    out[item.value("name", "")] = item.value(value_key, "");
  }
  return out;
}

// AWS answers cpu and memory as strings, but a hand-made definition may hold numbers.
std::string as_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return "";
}

std::set<std::string> string_set(const json& list) {
  std::set<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (item.is_string()) out.insert(item.get<std::string>());
  }
  return out;
}

std::set<std::pair<int, std::string>> ports(const json& list) {
  std::set<std::pair<int, std::string>> out;
  if (!list.is_array()) return out;
  for (const auto& port : list) {
    out.emplace(port.value("containerPort", 0), port.value("protocol", "tcp"));
  }
  return out;
}

std::set<std::tuple<std::string, std::string, bool>> mounts(const json& list) {
  std::set<std::tuple<std::string, std::string, bool>> out;
  if (!list.is_array()) return out;
  for (const auto& mount : list) {
    out.emplace(mount.value("sourceVolume", ""), mount.value("containerPath", ""),
                mount.value("readOnly", false));
  }
  return out;
}

// What matters of an EFS volume: the file system, the access point and encryption in
// transit (AWS adds rootDirectory "/", a transit port and iam DISABLED by itself).
std::map<std::string, std::tuple<std::string, std::string, std::string>> efs_volumes(
    const json& list) {
  std::map<std::string, std::tuple<std::string, std::string, std::string>> out;
  if (!list.is_array()) return out;
  for (const auto& volume : list) {
    const json efs = volume.value("efsVolumeConfiguration", json::object());
    out[volume.value("name", "")] = {
        efs.value("fileSystemId", ""),
        efs.value(json::json_pointer("/authorizationConfig/accessPointId"), std::string()),
        efs.value("transitEncryption", "DISABLED")};
  }
  return out;
}

const json* find_container(const json& definition, const std::string& name) {
  const auto containers = definition.find("containerDefinitions");
  if (containers == definition.end() || !containers->is_array()) return nullptr;
  for (const auto& container : *containers) {
    if (container.value("name", "") == name) return &container;
  }
  return nullptr;
}

}  // namespace

json desired_task_definition(const TaskDefinitionInputs& in) {
  json secrets = json::array();
  const std::pair<const char*, const char*> database[] = {{"WORDPRESS_DB_HOST", "host"},
                                                          {"WORDPRESS_DB_USER", "username"},
                                                          {"WORDPRESS_DB_PASSWORD", "password"},
                                                          {"WORDPRESS_DB_NAME", "database"}};
  for (const auto& [variable, key] : database) {
    secrets.push_back(secret_from(variable, in.secret_arn, key));
  }
  // The image's wp-config.php reads WORDPRESS_AUTH_KEY ... WORDPRESS_NONCE_SALT.
  for (const char* key : kWordPressKeys) {
    secrets.push_back(secret_from("WORDPRESS_" + upper(key), in.secret_arn, key));
  }
  secrets.push_back(secret_from(kAdminPasswordVariable, in.secret_arn, kAdminPasswordKey));

  // Not secrets: the site's own address (behind the ALB the Host header alone would
  // give WordPress the wrong scheme) and the table prefix wpfleet's tools expect.
  const std::string url = php_string(in.home_url);
  const json environment = json::array(
      {{{"name", "WORDPRESS_CONFIG_EXTRA"},
        {"value", "define('WP_HOME', " + url + ");\ndefine('WP_SITEURL', " + url + ");"}},
       {{"name", "WORDPRESS_TABLE_PREFIX"}, {"value", "wp_"}}});

  const json container = {
      {"name", in.container},
      {"image", in.image},
      {"essential", true},
      // Fargate needs no container limit; one equal to the task's changes nothing there,
      // and emulators that place tasks by container limits (moto) need one.
      {"memory", in.memory},
      {"portMappings", json::array({{{"containerPort", 80}, {"protocol", "tcp"}}})},
      {"environment", environment},
      {"secrets", secrets},
      {"mountPoints", json::array({{{"sourceVolume", kWpContentVolume},
                                    {"containerPath", kWpContentPath},
                                    {"readOnly", false}}})},
      {"logConfiguration", awslogs_configuration(in.log_group, in.region, in.log_prefix)}};

  return {{"family", in.family},
          {"requiresCompatibilities", json::array({"FARGATE"})},
          {"networkMode", "awsvpc"},
          {"cpu", std::to_string(in.cpu)},
          {"memory", std::to_string(in.memory)},
          {"executionRoleArn", in.execution_role_arn},
          {"containerDefinitions", json::array({container})},
          {"volumes",
           json::array({{{"name", kWpContentVolume},
                         {"efsVolumeConfiguration",
                          {{"fileSystemId", in.file_system_id},
                           {"transitEncryption", "ENABLED"},
                           {"authorizationConfig", {{"accessPointId", in.access_point_id}}}}}}})},
          {"tags", tags_json(in.tags, kEcsTagMembers)}};
}

std::vector<std::string> task_definition_differences(const json& desired, const json& current) {
  std::vector<std::string> differ;
  const auto check = [&](bool same, const char* field) {
    if (!same) differ.push_back(field);
  };
  check(string_set(desired["requiresCompatibilities"]) ==
            string_set(current.value("requiresCompatibilities", json::array())),
        "requiresCompatibilities");
  check(desired["networkMode"] == current.value("networkMode", ""), "networkMode");
  check(as_text(desired["cpu"]) == as_text(current.value("cpu", json())), "cpu");
  check(as_text(desired["memory"]) == as_text(current.value("memory", json())), "memory");
  check(desired["executionRoleArn"] == current.value("executionRoleArn", ""), "executionRoleArn");
  check(efs_volumes(desired["volumes"]) == efs_volumes(current.value("volumes", json::array())),
        "volumes");

  const json& want = desired["containerDefinitions"][0];
  const json* have = find_container(current, want.value("name", ""));
  if (!have) {
    differ.push_back("containerDefinitions");
    return differ;
  }
  // Other containers beside it (a sidecar the user added) would be dropped: a difference.
  check(current["containerDefinitions"].size() == 1, "containerDefinitions");
  check(want["image"] == have->value("image", ""), "image");
  check(have->value("essential", true), "essential");
  check(as_text(want["memory"]) == as_text(have->value("memory", json())), "container memory");
  check(ports(want["portMappings"]) == ports(have->value("portMappings", json::array())),
        "portMappings");
  check(by_name(want["environment"], "value") ==
            by_name(have->value("environment", json::array()), "value"),
        "environment");
  check(by_name(want["secrets"], "valueFrom") ==
            by_name(have->value("secrets", json::array()), "valueFrom"),
        "secrets");
  check(mounts(want["mountPoints"]) == mounts(have->value("mountPoints", json::array())),
        "mountPoints");
  const json log = have->value("logConfiguration", json::object());
  check(want["logConfiguration"]["logDriver"] == log.value("logDriver", "") &&
            want["logConfiguration"]["options"] == log.value("options", json::object()),
        "logConfiguration");
  // wpfleet sets neither: the image's own entrypoint and command are the ones to run.
  check(have->value("command", json::array()).empty() &&
            have->value("entryPoint", json::array()).empty(),
        "command");
  return differ;
}

}  // namespace wpfleet::aws_backend
