<?php
// Counts the serialized values in a dump that PHP can and cannot unserialize: what a
// search-replace must not break.
//
//   php check_serialized.php < dump.sql   ->   {"serialized":N,"broken":M}

$unescape = ['\0' => "\0", "\\'" => "'", '\"' => '"', '\b' => "\x08", '\n' => "\n",
             '\r' => "\r", '\t' => "\t", '\Z' => "\x1a", '\\\\' => '\\', "''" => "'"];
$serialized = 0;
$broken = 0;
while (($line = fgets(STDIN)) !== false) {
  $found = preg_match_all("/'((?:[^'\\\\]++|\\\\.|'')*+)'/s", $line, $matches);
  if ($found === false) exit("check_serialized.php: " . preg_last_error_msg() . "\n");
  foreach ($matches[1] as $literal) {
    $value = strtr($literal, $unescape);
    if (!preg_match('/^(a:\d+:\{.*\}|O:\d+:".*\}|s:\d+:".*";)$/s', $value)) continue;
    ++$serialized;
    if (@unserialize($value) === false) ++$broken;
  }
}
echo json_encode(['serialized' => $serialized, 'broken' => $broken]), "\n";
