#include "aws/config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>

#include "util/fs.h"

extern char** environ;

namespace wpfleet::aws {

namespace {

using Section = std::map<std::string, std::string>;
using IniFile = std::map<std::string, Section>;

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// The shared files' INI dialect: [section], key = value, '#' and ';' comment lines.
// Nested service blocks (a key with an empty value followed by indented lines) are
// skipped: their indented lines are not top-level keys.
IniFile parse_ini(const std::string& text) {
  IniFile file;
  Section* current = nullptr;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = &file[trim(line.substr(1, line.size() - 2))];
      continue;
    }
    const auto equals = line.find('=');
    if (!current || indented || equals == std::string::npos) continue;
    (*current)[trim(line.substr(0, equals))] = trim(line.substr(equals + 1));
  }
  return file;
}

struct SharedFiles {
  std::string credentials_path;
  std::string config_path;
  IniFile credentials;
  IniFile config;
};

std::string display_path(const std::string& path, const Environment& env) {
  const auto home = env.get("HOME");
  if (home && !home->empty() && path.rfind(*home + "/", 0) == 0) {
    return "~" + path.substr(home->size());
  }
  return path;
}

Result<IniFile> read_ini(const std::string& path, const Environment& env) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return IniFile{};
  auto text = read_file(path);
  if (!text) {
    return make_error("cannot read the AWS file " + display_path(path, env) + ": " +
                      text.error().message);
  }
  return parse_ini(*text);
}

Result<SharedFiles> read_shared_files(const Environment& env) {
  const std::string home = env.get("HOME").value_or("");
  SharedFiles files;
  files.credentials_path =
      env.get("AWS_SHARED_CREDENTIALS_FILE").value_or(home + "/.aws/credentials");
  files.config_path = env.get("AWS_CONFIG_FILE").value_or(home + "/.aws/config");
  TRY_ASSIGN(files.credentials, read_ini(files.credentials_path, env));
  TRY_ASSIGN(files.config, read_ini(files.config_path, env));
  return files;
}

// A profile's settings: the config file's "[profile NAME]" ("[default]" for default)
// overridden by the credentials file's "[NAME]". Nothing when neither has it.
std::optional<Section> find_profile(const SharedFiles& files, const std::string& name) {
  std::optional<Section> profile;
  const std::string config_section = name == "default" ? "default" : "profile " + name;
  if (const auto it = files.config.find(config_section); it != files.config.end()) {
    profile = it->second;
  }
  if (const auto it = files.credentials.find(name); it != files.credentials.end()) {
    if (!profile) profile.emplace();
    for (const auto& [key, value] : it->second) (*profile)[key] = value;
  }
  return profile;
}

std::optional<std::string> setting(const Section& section, const std::string& key) {
  const auto it = section.find(key);
  if (it == section.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string profile_source(const SharedFiles& files, const std::string& name,
                           const Environment& env) {
  return "profile '" + name + "' of " + display_path(files.credentials_path, env) + " / " +
         display_path(files.config_path, env);
}

Result<Credentials> profile_keys(const SharedFiles& files, const Section& profile,
                                 const std::string& name, const Environment& env) {
  const auto key_id = setting(profile, "aws_access_key_id");
  const auto secret = setting(profile, "aws_secret_access_key");
  if (!key_id || !secret) {
    return make_error("the AWS " + profile_source(files, name, env) +
                      " has no aws_access_key_id and aws_secret_access_key: add them "
                      "(aws configure --profile " + name + ") or give it role_arn and "
                      "source_profile");
  }
  return Credentials{*key_id, *secret, setting(profile, "aws_session_token").value_or("")};
}

}  // namespace

Environment Environment::current() {
  Environment env;
  for (char** entry = environ; *entry; ++entry) {
    const std::string text = *entry;
    const auto equals = text.find('=');
    if (equals != std::string::npos) env.vars[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return env;
}

std::optional<std::string> Environment::get(const std::string& name) const {
  const auto it = vars.find(name);
  if (it == vars.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<ResolvedConfig> resolve_config(const ConnectOptions& options, const Environment& env) {
  TRY_ASSIGN(const SharedFiles files, read_shared_files(env));
  const std::optional<std::string> named_profile =
      options.profile ? options.profile : env.get("AWS_PROFILE");
  const std::string profile_name = named_profile.value_or("default");
  const std::optional<Section> profile = find_profile(files, profile_name);
  if (named_profile && !profile) {
    return make_error("there is no AWS " + profile_source(files, profile_name, env) +
                      ": add it (aws configure --profile " + profile_name +
                      ") or name another profile");
  }
  const Section settings = profile.value_or(Section{});

  ResolvedConfig resolved;
  ClientConfig& config = resolved.config;
  const auto env_key_id = env.get("AWS_ACCESS_KEY_ID");
  const auto env_secret = env.get("AWS_SECRET_ACCESS_KEY");
  if (!options.profile && env_key_id && env_secret) {
    config.credentials = {*env_key_id, *env_secret, env.get("AWS_SESSION_TOKEN").value_or("")};
    config.credentials_source = "the environment (AWS_ACCESS_KEY_ID)";
  } else if (const auto source_profile = setting(settings, "source_profile")) {
    const auto source = find_profile(files, *source_profile);
    if (!source) {
      return make_error("the AWS " + profile_source(files, profile_name, env) +
                        " names source_profile '" + *source_profile +
                        "', which does not exist: add it or fix the name");
    }
    TRY_ASSIGN(config.credentials, profile_keys(files, *source, *source_profile, env));
    config.credentials_source = profile_source(files, *source_profile, env);
  } else if (profile) {
    TRY_ASSIGN(config.credentials, profile_keys(files, *profile, profile_name, env));
    config.credentials_source = profile_source(files, profile_name, env);
  } else {
    return make_error(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add a "
        "default profile to " + display_path(files.credentials_path, env) +
        " (aws configure), or name a profile");
  }

  resolved.role_arn = options.role_arn ? options.role_arn : setting(settings, "role_arn");
  const auto region = options.region    ? options.region
                      : env.get("AWS_REGION") ? env.get("AWS_REGION")
                      : env.get("AWS_DEFAULT_REGION") ? env.get("AWS_DEFAULT_REGION")
                                                      : setting(settings, "region");
  if (!region) {
    return make_error("no AWS region: set region in the fleet file, AWS_REGION, or region in "
                      "the " + profile_source(files, profile_name, env));
  }
  config.region = *region;
  config.endpoint_url =
      env.get("AWS_ENDPOINT_URL").value_or(setting(settings, "endpoint_url").value_or(""));
  constexpr std::string_view kPrefix = "AWS_ENDPOINT_URL_";
  for (const auto& [name, value] : env.vars) {
    if (name.rfind(kPrefix, 0) == 0 && !value.empty()) {
      config.service_endpoints[name.substr(kPrefix.size())] = value;
    }
  }
  return resolved;
}

std::string endpoint_for(const ClientConfig& config, const Service& service) {
  if (const auto it = config.service_endpoints.find(endpoint_env_suffix(service));
      it != config.service_endpoints.end()) {
    return it->second;
  }
  if (!config.endpoint_url.empty()) return config.endpoint_url;
  if (service.global) return std::string("https://") + service.endpoint_prefix + ".amazonaws.com";
  return std::string("https://") + service.endpoint_prefix + "." + config.region +
         ".amazonaws.com";
}

std::string signing_region(const ClientConfig& config, const Service& service) {
  return service.global ? "us-east-1" : config.region;
}

}  // namespace wpfleet::aws
