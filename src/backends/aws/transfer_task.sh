# What every transfer task runs (db_access / files_access = "task"):
#   sh -c <this text> wpfleet-transfer OP ARG...
# POSIX sh (dash; bash as sh in the mysql image). Comment lines and indentation are
# stripped when CMakeLists.txt embeds it as kTransferTaskScript: RunTask's overrides
# must stay under 8 KiB.
#
# An op that succeeds uploads its output (possibly empty) to OUT_URL, a presigned PUT,
# so wpfleet tells "ran to the end" from "died"; one that fails prints
# "wpfleet-transfer OP: what failed" on stderr, exits non-zero (3: bad arguments) and
# uploads nothing. Every op may run again after a kill at any point.
#
# Database ops (DB_HOST, DB_PORT, MASTER_USER, MYSQL_PWD = the master's password,
# TENANT_DB_USER, TENANT_DB_PASSWORD), the semantics of MysqlStaging:
#   dump DB [TABLE...]      as the tenant                      -> the dump
#   load DB                 IN_URL's SQL into a fresh DB as a load user of its own
#                           (wpf_load_task_*, dropped on exit; stale ones are dropped
#                           first: those without a session)  -> empty
#   counts DB               -> "table<TAB>count" lines
#   move FROM TO ASIDE all|staged   MysqlStaging::move_all    -> empty
#   drop DB                 -> empty
#   summarize DB            (no EFS_ROOT) MysqlStaging::summarize
#                           -> "table<TAB>count<TAB>checksum" lines
#   sql DB                  IN_URL's SQL as the tenant        -> empty
# Table names in outputs are as mysql --batch prints them (tab, newline and backslash
# escaped), in byte order.
#
# File ops (EFS_ROOT; T = a tenant's directory in it, T.staging, T.previous and the
# note T.swapping beside it), the semantics of DirectorySwap with TwoRenames. T's
# content is the tenant's (its PHP writes it): nothing in it is followed or chowned.
#   pack T                  -> a tar of T
#   unpack T                IN_URL's tar into a fresh T.staging, given to 33:33
#   swap T                  T -> T.previous, T.staging -> T     -> empty
#   restore T               -> "moved" or "unmoved"
#   discard T previous|staging                                 -> empty
#   summarize T             (EFS_ROOT set) -> "count<TAB>bytes<TAB>digest", the digest
#                           DirectorySwap::summarize makes
set -eu
o=${1-}
[ $# = 0 ] || shift
# die MESSAGE [EXIT CODE]
die() {
  echo "wpfleet-transfer $o: $1" >&2
  exit "${2-1}"
}
[ $# -gt 0 ] || die "needs arguments" 3
[ -n "${OUT_URL-}" ] || die "no OUT_URL"
W=$(mktemp -d)
O=$W/out
: >"$O"
u=
bye() {
  r=$?
  trap - EXIT
  [ -z "$u" ] || du || :
  rm -rf "$W"
  exit $r
}
trap bye EXIT
trap 'exit 1' HUP INT TERM
# $1 with every $2 replaced by $3
sub() {
  x=$1 y=
  while case $x in *"$2"*) ;; *) false ;; esac; do
    y=$y${x%%"$2"*}$3
    x=${x#*"$2"}
  done
  printf %s "$y$x"
}
qi() {
  printf '`%s`' "$(sub "$1" '`' '``')"
}
qs() {
  printf "'%s'" "$(sub "$(sub "$1" '\' '\\')" "'" "''")"
}
# IN_URL's body; a failure leaves $W/f (a pipe's status is its last command's)
get() {
  curl -sS --fail "${IN_URL-}" || : >"$W/f"
}
got() {
  [ ! -e "$W/f" ] || die "cannot read IN_URL"
}
# c PASSWORD USER PROGRAM ARG...
c() {
  p=$1 l=$2 b=$3
  shift 3
  MYSQL_PWD=$p $b -h "$DB_HOST" -P "$DB_PORT" -u "$l" --default-character-set=utf8mb4 "$@"
}
a() {
  c "$MYSQL_PWD" "$MASTER_USER" mysql -N -B "$@"
}
du() {
  printf "DROP USER IF EXISTS '%s'@'%%'" "$u" | a || {
    echo "wpfleet-transfer $o: cannot drop $u (the next load drops it)" >&2
    false
  }
}
# dd DB [new]: DROP DATABASE, and CREATE it again with "new"
dd() {
  a -e "DROP DATABASE IF EXISTS $(qi "$1")${2+; CREATE DATABASE $(qi "$1") CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci}" ||
    die "cannot drop or make $1"
}
# gen SELECT DB: SQL made by SQL from DB's tables, run into $1 by run
gen() {
  a -r -e "SET SESSION group_concat_max_len=1073741824; SELECT $1" >"$W/s" || die "cannot list $2's tables"
}
run() {
  a <"$W/s" >"$1" || die "$2"
}
f() {
  echo "FROM information_schema.tables WHERE table_schema=$(qs "$1")"
}
B="ORDER BY CAST(table_name AS BINARY)"
Q="REPLACE(table_name,'\`','\`\`'),'\`'"
T="CONCAT('\`',REPLACE(table_schema,'\`','\`\`'),'\`.\`',$Q)"
# v COLUMNS WHERE: summarize's statement for a table whose WHERE rows WordPress rewrites
v() {
  echo "CONCAT($(qs ",BIT_XOR(CAST(CONV(LEFT(SHA1(CONCAT_WS(0x1f,$1)),16),16,10) AS UNSIGNED)) FROM "),$T,$(qs " WHERE NOT ($2)"))"
}
L=${EFS_ROOT-}/$1
S=$L.staging
P=$L.previous
N=$L.swapping
has() {
  [ -e "$1" ] || [ -L "$1" ]
}
mvt() {
  mv -T "$1" "$2" || die "cannot rename $1 to $2"
}
rmr() {
  rm -rf "$1" || die "cannot remove $1"
}
k=$o
if [ -n "${EFS_ROOT-}" ]; then
  case $1 in "" | . | .. | */*) die "not a directory name: $1" 3 ;; esac
  k=f$o
fi
case $k in
dump)
  g=
  case $(mysqldump --help) in *set-gtid-purged*) g=--set-gtid-purged=OFF ;; esac
  c "$TENANT_DB_PASSWORD" "$TENANT_DB_USER" mysqldump --single-transaction --quick --skip-lock-tables --no-tablespaces --skip-dump-date $g "$@" >"$O" ||
    die "mysqldump of $1 failed"
  ;;
load)
  dd "$1" new
  a -r -e "SELECT CONCAT('DROP USER IF EXISTS ',QUOTE(User),'@',QUOTE(Host),';') FROM mysql.user WHERE User LIKE 'wpf\\_load\\_task\\_%' AND User NOT IN (SELECT USER FROM information_schema.PROCESSLIST WHERE USER IS NOT NULL)" >"$W/s" ||
    die "cannot list old load users"
  run /dev/null "cannot drop old load users"
  # 12 characters of the name, 32 of the password
  w=$(LC_ALL=C tr -dc A-Za-z0-9 </dev/urandom | head -c 44)
  u=wpf_load_task_${w%????????????????????????????????}
  w=${w#????????????}
  printf "CREATE USER '%s'@'%%' IDENTIFIED BY '%s'; GRANT ALL ON %s.* TO '%s'@'%%'" "$u" "$w" "$(qi "$(sub "$(sub "$(sub "$1" '\' '\\')" _ '\_')" % '\%')")" "$u" | a ||
    die "cannot create the load user"
  get | c "$w" "$u" mysql --binary-mode "$1" || die "loading $1 failed"
  got
  du
  u=
  ;;
counts)
  gen "CONCAT('SELECT ',QUOTE(table_name),',COUNT(*) FROM ',$T,';') $(f "$1") $B" "$1"
  run "$O" "cannot count the rows of $1"
  ;;
move)
  [ $# = 4 ] || die "needs FROM TO ASIDE all|staged" 3
  case $4 in all) k=1 ;; staged) k=0 ;; *) die "not all or staged: $4" 3 ;; esac
  dd "$3" new
  # TO's tables aside first, then FROM's into TO: one RENAME TABLE, atomic
  gen "IFNULL(CONCAT('RENAME TABLE ',GROUP_CONCAT(m ORDER BY k SEPARATOR ', ')),'') FROM (SELECT 1 k,CONCAT($T,' TO ',$(qs "$(qi "$3")."),'\`',$Q) m $(f "$2") AND ($k OR table_name IN (SELECT table_name $(f "$1"))) UNION ALL SELECT 2,CONCAT($T,' TO ',$(qs "$(qi "$2")."),'\`',$Q) $(f "$1")) x" "$1"
  run /dev/null "cannot move the tables of $1 to $2"
  dd "$1"
  ;;
drop)
  dd "$1"
  ;;
summarize)
  e="CAST(table_name AS BINARY) LIKE"
  gen "CONCAT('SELECT ',QUOTE(table_name),',COUNT(*)',CASE WHEN $e '%options' THEN $(v option_name,option_value "option_name LIKE '\\_transient\\_%' OR option_name LIKE '\\_site\\_transient\\_%' OR option_name IN ('cron','doing_cron')") WHEN $e '%usermeta' THEN $(v user_id,meta_key,meta_value "meta_key='session_tokens'") ELSE CONCAT(' FROM ',$T,';CHECKSUM TABLE ',$T) END,';') $(f "$1") $B" "$1"
  run "$W/r" "cannot summarize $1"
  # a line per table with its checksum, or one then CHECKSUM TABLE's "db.table<TAB>sum"
  while IFS= read -r l; do
    case $l in
    *"	"*"	"*) ;;
    *)
      IFS= read -r s
      l="$l	${s##*	}"
      ;;
    esac
    printf '%s\n' "$l"
  done <"$W/r" >"$O"
  ;;
sql)
  get | c "$TENANT_DB_PASSWORD" "$TENANT_DB_USER" mysql --binary-mode "$1" || die "the SQL failed on $1"
  got
  ;;
fpack)
  # tar opens each entry beneath its directory's descriptor, never following a link;
  # 1: a file changed or went while read (the site is live)
  tar -C "$L" --numeric-owner -cf "$O" . || [ $? = 1 ] || die "cannot pack $L"
  ;;
funpack)
  rmr "$S"
  mkdir -m 0700 "$S" || die "cannot make $S"
  get | tar -C "$S" -x --no-same-owner -f - || die "cannot unpack into $S"
  got
  { chown -R 33:33 "$S" && chmod 0755 "$S"; } || die "cannot give $S to 33:33"
  ;;
fswap)
  # run again after it was stopped, it never removes a previous it made
  has "$S" || die "nothing staged in $S"
  if has "$L" || ! has "$P"; then
    rmr "$P"
    i=$(stat -c %d:%i "$L" 2>/dev/null) || i=
    { printf %s "$i" >"$N.new" && mv -f "$N.new" "$N"; } || die "cannot write $N"
    ! has "$L" || mvt "$L" "$P"
  fi
  mvt "$S" "$L"
  rm -f "$N"
  ;;
frestore)
  m=unmoved
  if ! has "$L" && has "$P"; then
    # the swap stopped between its renames: the previous files were never replaced
    mvt "$P" "$L"
    m=moved
  elif [ -f "$N" ] && has "$S"; then
    # inodes only: st_dev differs between the tasks' mounts of one EFS
    i=$(stat -c %i "$L" 2>/dev/null) || i=
    j=$(cat "$N")
    [ "$i" = "${j#*:}" ] || mvt "$S" "$P"
  fi
  rm -f "$N"
  if has "$P"; then
    rmr "$S"
    mvt "$L" "$S"
    mvt "$P" "$L"
    m=moved
  fi
  echo $m >"$O"
  ;;
fdiscard)
  case ${2-} in previous) rmr "$P" ;; staging) rmr "$S" ;; *) die "not previous or staging: ${2-}" 3 ;; esac
  ;;
fsummarize)
  cd "$L" || die "cannot read $L"
  # entries that go while listed are left out: the site is live
  find . -mindepth 1 -printf '%P %s %T@\n' >"$W/l" || :
  find . -mindepth 1 -type f -printf '%s\n' >"$W/s" || :
  k=0 b=0
  while read -r s; do
    k=$((k + 1)) b=$((b + s))
  done <"$W/s"
  # find's 10 fraction digits as DirectorySwap's seconds.nanoseconds
  h=$(sed 's/\.0*\([0-9]\{1,9\}\)[0-9]$/.\1/' "$W/l" | LC_ALL=C sort | sha256sum)
  printf '%s\t%s\t%s\n' $k $b "${h%% *}" >"$O"
  ;;
*) die "unknown op: $o" 3 ;;
esac
z=$(wc -c <"$O")
[ "$z" -le 5368709120 ] || die "$z bytes: over the 5 GB of one S3 PUT"
curl -sS --fail --retry 3 -T "$O" "$OUT_URL" >/dev/null || die "cannot upload to OUT_URL"
