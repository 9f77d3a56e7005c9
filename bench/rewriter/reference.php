<?php
// The PHP way, as WP-CLI's search-replace does it per value: unserialize, str_replace
// recursively, serialize again; str_replace (plain and JSON-escaped FROM) on everything
// else. A throughput baseline for run.sh, not a correct rewriter: it knows no host
// boundaries or URL-encoded forms, and "repairs" malformed values by str_replace.
//
//   php reference.php [--prefilter] FROM TO < dump.sql > new.sql
//
// Every value is rewritten, as described; --prefilter copies lines that do not contain
// FROM without looking at their values (what a tuned PHP script would add).

$args = array_slice($argv, 1);
$prefilter = $args[0] === '--prefilter';
[$from, $to] = $prefilter ? array_slice($args, 1) : $args;
$search = [$from, str_replace('/', '\/', $from)];
$replace = [$to, str_replace('/', '\/', $to)];
$host = preg_replace('~^https?://~', '', $from);  // in lines, JSON forms are SQL-escaped
// mysqldump's escapes, both ways.
$unescape = ['\0' => "\0", "\\'" => "'", '\"' => '"', '\b' => "\x08", '\n' => "\n",
             '\r' => "\r", '\t' => "\t", '\Z' => "\x1a", '\\\\' => '\\', "''" => "'"];
$escape = ["\0" => '\0', "'" => "\\'", '"' => '\"', "\n" => '\n', "\r" => '\r',
           "\x1a" => '\Z', '\\' => '\\\\'];

function replace_deep($value, array $search, array $replace) {
  if (is_string($value)) return str_replace($search, $replace, $value);
  if (is_array($value) || is_object($value)) {
    foreach ($value as $key => $item) {
      $item = replace_deep($item, $search, $replace);
      is_array($value) ? $value[$key] = $item : $value->$key = $item;
    }
  }
  return $value;
}

function rewrite_value(string $value, array $search, array $replace): string {
  if (preg_match('/^([adObis]:|N;)/', $value)) {
    $data = @unserialize($value);
    if ($data !== false || $value === 'b:0;') {
      return serialize(replace_deep($data, $search, $replace));
    }
  }
  return str_replace($search, $replace, $value);
}

$rewrite_literal = function (array $m) use ($search, $replace, $unescape, $escape) {
  $value = strtr($m[1], $unescape);
  return "'" . strtr(rewrite_value($value, $search, $replace), $escape) . "'";
};
while (($line = fgets(STDIN)) !== false) {
  if ($prefilter && strpos($line, $host) === false) {
    fwrite(STDOUT, $line);
    continue;
  }
  $rewritten = preg_replace_callback("/'((?:[^'\\\\]++|\\\\.|'')*+)'/s", $rewrite_literal, $line);
  if ($rewritten === null) exit("reference.php: " . preg_last_error_msg() . "\n");
  fwrite(STDOUT, $rewritten);
}
