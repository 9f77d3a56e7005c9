// AwsProxy: a loopback HTTP/1.1 proxy in front of moto's server that forwards every
// request unchanged (so moto still checks each signature) and adds what moto lacks and
// AWS has: throttling on demand, a count of calls by action, ECS one-off tasks that
// finish (with an exit code and log lines the test chooses, or run on this machine by a
// task runner the test sets), forced deployments that roll out over time, the checks
// AWS makes on RunTask that moto skips, and presigned URLs (query-string SigV4) checked
// as S3 checks them, expiry included.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aws/client.h"

namespace wpfleet::testing {

struct PolicyKind;  // aws_fake_cloudfront.cc

// An EFS volume as a task's container sees it.
struct EfsMount {
  std::string file_system_id;
  std::string root_directory = "/";  // the volume's rootDirectory, else "/"
  // The root path of the volume's access point (authorizationConfig.accessPointId),
  // which stands for rootDirectory when there is one; "" without one.
  std::string access_point_root;
};

// One task RunTask started, as a runner needs it to stand in for Fargate.
struct TaskRun {
  std::string task_arn;
  nlohmann::json task_definition;  // as DescribeTaskDefinition gives it
  nlohmann::json container;        // the essential container's definition
  // entryPoint then command, the RunTask's containerOverrides' command in place of the
  // definition's.
  std::vector<std::string> command;
  // The definition's `environment`, its `secrets` resolved through Secrets Manager
  // (valueFrom an ARN, or "ARN:json-key:version-stage:version-id"), then the
  // overrides' `environment`, as ECS gives them to the container.
  std::map<std::string, std::string> environment;
  std::map<std::string, EfsMount> efs_mounts;  // by containerPath
};

struct TaskOutcome {
  int exit_code = 0;  // of the essential container
  std::vector<std::string> log_lines;  // what it wrote, to its awslogs stream
};

class AwsProxy {
 public:
  // `moto_endpoint` is moto's base URL; `moto_credentials` are those of the IAM user the
  // proxy knows (besides the roles it sees assumed). The proxy's own calls to moto for
  // a task (reading its definition, writing its logs, looking up its secrets) are made
  // as the caller of its RunTask, in the caller's account.
  AwsProxy(std::string moto_endpoint, aws::Credentials moto_credentials);
  ~AwsProxy();
  AwsProxy(const AwsProxy&) = delete;
  AwsProxy& operator=(const AwsProxy&) = delete;

  std::string endpoint() const;  // http://127.0.0.1:PORT

  // The next `n` requests are answered with throttling errors instead of being
  // forwarded: HTTP 429, then HTTP 400 with the protocol's throttling error, in turn.
  void throttle(int n);

  // Every request seen, throttled ones included.
  int requests() const;
  // By action: the X-Amz-Target suffix ("RunTask"), the query Action ("CreateRule"), or
  // "METHOD path" for REST calls ("POST /2015-02-01/access-points").
  std::map<std::string, int> requests_by_action() const;

  // The exit code of the essential container of tasks started from now on (default 0).
  void set_task_exit_code(int code);
  // The lines tasks started from now on write to their log stream (default {"ok"}).
  void set_task_log_lines(std::vector<std::string> lines);
  // Tasks started from now on are run by `runner` (nothing: by the two settings
  // above), each on its own thread: RunTask answers at once, DescribeTasks shows the
  // task RUNNING until the runner returns, then STOPPED with its exit code, and its log
  // lines are in the container's stream. The runner holds no lock of the proxy, so what
  // it runs may call the proxy. Runs still going are waited for by the destructor.
  void set_task_runner(std::function<TaskOutcome(const TaskRun&)> runner);
  struct Request {
    std::string method;
    std::string target;                // path and query, as received
    std::vector<std::string> headers;  // "Name: value", without Content-Length and Expect
    std::string body;
    std::string amz_target;  // the X-Amz-Target header, "" for query and REST calls
  };
  struct Answer {
    long status = 200;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
  };

  // A fake of what moto does not implement at all: the requests it takes, and its
  // answer to each. A request it takes reaches `answer` only with a valid SigV4
  // signature (AWS's answer to a bad one is given here, as AWS would).
  struct Fake {
    std::function<bool(const Request&)> takes;
    std::function<Answer(const Request&)> answer;
  };
  // Fakes are asked in turn, before anything is forwarded; add them while no request
  // is in flight.
  void add_fake(Fake fake);

  // A function of the CloudFront fake (see cloudfront() below).
  struct CloudFrontFunction {
    std::string comment;
    std::string runtime;
    std::string development;  // code
    std::string live;         // code; "" until published
    int version = 1;          // of DEVELOPMENT, in its ETag
    int published = 0;        // of LIVE, in its ETag
  };

  // Forced deployments (UpdateService forceNewDeployment) whose rollout a
  // DescribeServices saw still in progress: the first one after each.
  int rollouts_polled() const;

  // The body of every RunTask request, in order.
  std::vector<nlohmann::json> run_task_requests() const;

  // What AWS would have refused or what wpfleet must never do, one sentence each.
  std::vector<std::string> violations() const;
  // The proxy's own calls to moto that failed; a sound test expects none.
  std::vector<std::string> errors() const;

 private:
  void accept_loop();
  static std::optional<Request> read_request(int fd);
  void serve_connection(int fd);
  static std::string action_of(const Request& request);
  Answer handle(const Request& request);
  Answer throttled(const Request& request, int throttled_before) const;
  Answer forward(const Request& request) const;
  // moto miscomputes the signature of every REST GET and DELETE (it hashes their query
  // as a body): the proxy checks it as AWS would, then lets moto take that one request
  // unchecked.
  Answer forward_checked_here(const Request& request) const;
  // Asks moto to check no signature of the next request; hold moto_gate_ alone.
  bool let_one_unchecked() const;
  std::optional<Answer> answer_by_fake(const Request& request);
  static Answer signature_refused(const std::string& problem);
  // Keeps the temporary credentials STS gave (AssumeRole, into another account too),
  // so that the requests signed with them are checked like the IAM user's.
  void learn_assumed_role(const Answer& answer);
  Answer send_to_moto(const Request& request) const;
  std::optional<std::string> signature_problem(const Request& request) const;
  // AWS's refusal of a request whose signature is wrong: in its Authorization header,
  // or in its query (a presigned URL, expired ones too); nothing when it is right.
  std::optional<Answer> refusal(const Request& request) const;
  std::optional<Answer> presigned_refusal(const Request& request) const;
  // Those of the IAM user and of the roles it assumed; nothing for an unknown key.
  std::optional<aws::Credentials> credentials_for(const std::string& access_key_id) const;
  aws::Client moto_as(const aws::Credentials& as) const;
  aws::ApiResult<nlohmann::json> call_moto(const aws::Credentials& as, const aws::Service& service,
                                           const std::string& action,
                                           const nlohmann::json& input) const;
  // The credentials (session token included) whose key signed `request`'s Authorization;
  // the IAM user's when the key is unknown.
  aws::Credentials caller_of(const Request& request) const;
  // The account of a role seen assumed; nothing for other keys (moto's default account).
  std::optional<std::string> assumed_account(const std::string& access_key_id) const;

  // ECS one-off tasks: what RunTask checks and leaves behind, and how they end.
  Answer run_task(const Request& request);
  void check_overrides(const nlohmann::json& run_task);
  void check_secrets(const aws::Credentials& caller, const nlohmann::json& task_definition);
  void write_task_logs(const aws::Credentials& as, const nlohmann::json& container,
                       const std::string& task_id, const std::vector<std::string>& lines);
  void finish_described_tasks(nlohmann::json& described) const;
  // A task as the runner gets it, from the RunTask request and the task definition.
  Result<TaskRun> task_run(const aws::Credentials& caller, const nlohmann::json& run_task,
                           const std::string& task_arn,
                           const nlohmann::json& task_definition) const;
  Result<std::string> secret_value(const aws::Credentials& as, const std::string& value_from) const;
  Result<std::string> access_point_root(const aws::Credentials& as,
                                        const std::string& access_point_id) const;
  void start_runner(const aws::Credentials& caller,
                    std::function<TaskOutcome(const TaskRun&)> runner,
                    const nlohmann::json& run_task, const std::string& task_arn,
                    const nlohmann::json& task_definition);
  void track_deleted_services(const Request& request, Answer& answer);
  void roll_out_gradually(const Request& request, Answer& answer);

  void record(std::vector<std::string>& list, std::string entry);

  // CloudFront (aws_fake_cloudfront.cc): Functions and custom response headers and cache
  // policies, which moto lacks entirely, answered
  // here as CloudFront would (SigV4, the XML shapes, If-Match with the current ETag, the
  // 10 KB code limit); and distributions, forwarded to moto with what moto lacks added:
  // Aliases in ListDistributions, FunctionAssociations kept across updates (moto drops
  // them), ETags that change with each update and If-Match checked against them, and
  // associations only with published functions. Nothing when `request` is not CloudFront's.
  std::optional<Answer> cloudfront(const Request& request);
  Answer cloudfront_function(const Request& request, const std::string& path);
  Answer cloudfront_distribution(const Request& request, const std::string& path);
  Answer cloudfront_policy(const Request& request, const PolicyKind& kind);
  struct DistributionExtras {
    int version = 1;  // in its ETag
    std::vector<std::string> aliases;
    std::map<std::string, std::string> associations;  // behaviour ("" default) -> XML
  };
  std::map<std::string, CloudFrontFunction> functions_;        // by name, under mutex_
  std::map<std::string, DistributionExtras> distributions_;    // by id, under mutex_
  // Custom response headers and cache policies: kind ("CachePolicy") -> id -> its Config XML.
  std::map<std::string, std::map<std::string, std::string>> policies_;

  std::string moto_endpoint_;
  aws::Credentials credentials_;
  // Shared by every request to moto; held alone while moto lets one request unchecked.
  mutable std::shared_mutex moto_gate_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;

  std::vector<Fake> fakes_;   // added before requests come
  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable connections_done_;
  int open_connections_ = 0;
  int requests_ = 0;
  int throttle_left_ = 0;
  int throttled_ = 0;  // answers throttled so far, to alternate their kinds
  std::map<std::string, int> by_action_;
  int exit_code_ = 0;
  std::vector<std::string> log_lines_{"ok"};
  std::vector<nlohmann::json> run_task_requests_;
  std::set<std::string> deleted_services_;  // ARNs, until made again
  std::set<std::string> rolling_out_;       // ARNs, until a DescribeServices sees the rollout
  int rollouts_polled_ = 0;
  std::map<std::string, int> exit_codes_;  // of the tasks RunTask started, by task ARN
  std::function<TaskOutcome(const TaskRun&)> task_runner_;
  std::set<std::string> running_;  // ARNs of the tasks a runner has not finished
  std::vector<std::thread> runs_;  // one per task given to a runner, joined by the destructor
  std::vector<std::string> violations_;
  std::vector<std::string> errors_;
  struct AssumedRole {
    aws::Credentials credentials;  // with its session token
    std::string account;
  };
  std::map<std::string, AssumedRole> assumed_roles_;  // by access key id
};

}  // namespace wpfleet::testing
