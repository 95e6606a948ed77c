#!/usr/bin/perl
# Keelson container monitor: one small process per container, detached from the agent, so that
# containers outlive agent restarts (kill -9) while their output and exit status are still captured.
# It starts the container with `runc run --detach`, becomes the container's parent (child
# subreaper), copies stdout/stderr into the CRI log format
#   2026-01-01T00:00:00.000000000Z stdout F text
# and, when the container exits, writes its exit status (and whether the memory cgroup OOM-killed
# something) as JSON to the exit file. Needs only perl-base (Debian's essential perl).
#
# usage: monitor.pl ID BUNDLE RUNC RUNC_ROOT LOG_PATH EXIT_FILE PID_FILE [OOM_FILE...]
# Prints "ok PID" once the container runs, or "err MESSAGE", then returns (the monitor stays).
use strict;
use warnings;
use POSIX qw(setsid WNOHANG strftime);
use IO::Select;

my ($id, $bundle, $runc, $root, $log_path, $exit_file, $pid_file, @oom_files) = @ARGV;
die "usage: monitor.pl ID BUNDLE RUNC RUNC_ROOT LOG_PATH EXIT_FILE PID_FILE [OOM_FILE...]\n" unless $pid_file;

my $have_hires = eval { require Time::HiRes; 1 };
sub now_rfc3339 {
  my ($s, $us);
  if ($have_hires) { ($s, $us) = Time::HiRes::gettimeofday(); }
  else { my $tv = pack('qq', 0, 0); syscall(96, $tv, 0); ($s, $us) = unpack('qq', $tv); }
  return strftime('%Y-%m-%dT%H:%M:%S', gmtime($s)) . sprintf('.%06d000Z', $us);
}

pipe(my $status_r, my $status_w) or die "pipe: $!";
my $daemon = fork() // die "fork: $!";
if ($daemon) {
  # the foreground half: relay the daemon's first word and leave
  close $status_w;
  my $line = <$status_r> // "err monitor died before starting the container\n";
  print $line;
  exit($line =~ /^ok / ? 0 : 1);
}
close $status_r;
setsid();
# PR_SET_CHILD_SUBREAPER: the container process is re-parented to us when `runc run -d` exits
syscall(157, 36, 1, 0, 0, 0) == 0 or print STDERR "prctl(PR_SET_CHILD_SUBREAPER): $!\n";
open(STDIN, '<', '/dev/null');
if (open(my $mp, '>', "$bundle/monitor.pid")) { print $mp "$$\n"; close $mp; }
open(STDOUT, '>>', "$bundle/monitor.log");
open(STDERR, '>&', \*STDOUT);
$SIG{PIPE} = 'IGNORE';
$SIG{HUP} = 'IGNORE';

pipe(my $out_r, my $out_w) or die "pipe: $!";
pipe(my $err_r, my $err_w) or die "pipe: $!";
my $runc_pid = fork() // die "fork: $!";
if ($runc_pid == 0) {
  close $out_r; close $err_r; close $status_w;
  open(STDOUT, '>&', $out_w) or die;
  open(STDERR, '>&', $err_w) or die;
  close $out_w; close $err_w;
  exec($runc, '--root', $root, 'run', '--detach', '--bundle', $bundle, '--pid-file', $pid_file, $id) or die "exec $runc: $!";
}
close $out_w; close $err_w;

open(my $log, '>>', $log_path) or do { print $status_w "err cannot open log $log_path: $!\n"; exit 1 };
$log->autoflush(1);

my %buf = (stdout => '', stderr => '');
my %fh_name = (fileno($out_r) => 'stdout', fileno($err_r) => 'stderr');
my $sel = IO::Select->new($out_r, $err_r);
my ($container_pid, $status, $reported) = (0, undef, 0);
my $runc_status;

# until runc has exited, output is held back: on failure it is runc's error message, not container output
my @pending;
sub emit {
  my ($stream, $text, $tag) = @_;
  my $line = now_rfc3339() . " $stream $tag $text\n";
  if (defined $runc_status && $runc_status == 0) { print $log $line; } else { push @pending, [$stream, $text, $line]; }
}
sub drain {
  my ($fh) = @_;
  my $stream = $fh_name{fileno($fh)};
  my $n = sysread($fh, my $chunk, 65536);
  if (!$n) { $sel->remove($fh); emit($stream, $buf{$stream}, 'F') if length $buf{$stream}; $buf{$stream} = ''; return; }
  $buf{$stream} .= $chunk;
  while ((my $i = index($buf{$stream}, "\n")) >= 0) {
    emit($stream, substr($buf{$stream}, 0, $i), 'F');
    substr($buf{$stream}, 0, $i + 1) = '';
  }
  if (length $buf{$stream} >= 16384) { emit($stream, $buf{$stream}, 'P'); $buf{$stream} = ''; }
}
sub reap {
  while ((my $p = waitpid(-1, WNOHANG)) > 0) {
    my $st = $?;
    if ($p == $runc_pid) { $runc_status = $st; }
    elsif ($container_pid && $p == $container_pid) { $status = $st; }
    elsif (!$container_pid) { $status = $st; $container_pid = $p; } # exited before we read the pid file
  }
}

# until runc has started the container: collect runc's own error output from stderr
while (!defined $runc_status) {
  for my $fh ($sel->can_read(0.2)) { drain($fh); }
  reap();
}
if ($runc_status != 0) {
  for my $fh ($sel->can_read(0.2)) { drain($fh); }
  my @err = map { $_->[1] } grep { $_->[0] eq 'stderr' } @pending;
  my $msg = @err ? join(' ', @err) : 'runc run failed with status ' . ($runc_status >> 8);
  print $status_w "err $msg\n";
  exit 1;
}
print $log $_->[2] for @pending;
@pending = ();
my $pid_text = '';
if (open(my $pf, '<', $pid_file)) { $pid_text = <$pf> // ''; close $pf; }
($container_pid) = $pid_text =~ /(\d+)/ unless $container_pid;
$container_pid ||= 0;
print $status_w "ok $container_pid\n";
close $status_w;

while ($sel->count() > 0 || !defined $status) {
  if ($sel->count() > 0) { for my $fh ($sel->can_read(1)) { drain($fh); } }
  else { select(undef, undef, undef, 0.2); }
  reap();
  last if !defined $status && $container_pid && !kill(0, $container_pid) && $sel->count() == 0;
}
my $finished = now_rfc3339();
my $oom = 0;
for my $f (@oom_files) {
  if (open(my $o, '<', $f)) { while (<$o>) { $oom = 1 if /^oom_kill (\d+)/ && $1 > 0; } close $o; }
}
my ($code, $signal) = (255, 0);
if (defined $status) {
  if ($status & 127) { $signal = $status & 127; $code = 128 + $signal; } else { $code = $status >> 8; }
}
my $tmp = "$exit_file.tmp";
open(my $ef, '>', $tmp) or die "write $tmp: $!";
printf $ef '{"exitCode":%d,"signal":%d,"oomKilled":%s,"finishedAt":"%s"}' . "\n", $code, $signal, $oom ? 'true' : 'false', $finished;
close $ef;
rename($tmp, $exit_file) or die "rename $tmp: $!";
exit 0;
