#!/usr/bin/perl
# Keelson container monitor: one small process per container, detached from the agent, so that
# containers outlive agent restarts (kill -9) while their output and exit status are still captured.
# It starts the container with `runc run --detach`, becomes the container's parent (child
# subreaper), copies stdout/stderr into the CRI log format
#   2026-01-01T00:00:00.000000000Z stdout F text
# and, when the container exits, writes its exit status (and whether the memory cgroup OOM-killed
# something) as JSON to the exit file. Plain perl without modules (perl-base is essential on
# Debian), so that hundreds of monitors cost little memory.
#
# usage: monitor.pl ID BUNDLE RUNC RUNC_ROOT LOG_PATH EXIT_FILE PID_FILE [OOM_FILE...]
# Prints "ok PID" once the container runs, or "err MESSAGE", then returns (the monitor stays).
# Not here: keelson-monitor.c's --stdin/--tty/--attach (kubectl attach; a pty master arrives by
# SCM_RIGHTS, which perl-base cannot receive): the driver refuses stdin/tty containers without the
# C monitor, saying so.
use strict;

my ($id, $bundle, $runc, $root, $log_path, $exit_file, $pid_file, @oom_files) = @ARGV;
die "usage: monitor.pl ID BUNDLE RUNC RUNC_ROOT LOG_PATH EXIT_FILE PID_FILE [OOM_FILE...]\n" unless $pid_file;

# x86_64 syscall numbers
my ($SYS_GETTIMEOFDAY, $SYS_SETSID, $SYS_PRCTL, $PR_SET_CHILD_SUBREAPER, $WNOHANG) = (96, 112, 157, 36, 1);

sub now_rfc3339 {
  my $tv = pack('qq', 0, 0);
  syscall($SYS_GETTIMEOFDAY, $tv, 0);
  my ($s, $us) = unpack('qq', $tv);
  my @t = gmtime($s);
  return sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%06d000Z', $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1], $t[0], $us);
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
syscall($SYS_SETSID);
# the container process is re-parented to us when `runc run -d` exits
syscall($SYS_PRCTL, $PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 or print STDERR "prctl(PR_SET_CHILD_SUBREAPER): $!\n";
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
select((select($log), $| = 1)[0]);

my %open = (stdout => $out_r, stderr => $err_r);
my %buf = (stdout => '', stderr => '');
my ($container_pid, $status, $runc_status) = (0, undef, undef);
# until runc has exited, output is held back: on failure it is runc's error message, not container output
my @pending;

sub emit {
  my ($stream, $text, $tag) = @_;
  my $line = now_rfc3339() . " $stream $tag $text\n";
  if (defined $runc_status && $runc_status == 0) { print $log $line; } else { push @pending, [$stream, $text, $line]; }
}
sub drain {
  my ($stream) = @_;
  my $n = sysread($open{$stream}, my $chunk, 65536);
  if (!$n) {
    close $open{$stream}; delete $open{$stream};
    emit($stream, $buf{$stream}, 'F') if length $buf{$stream};
    $buf{$stream} = '';
    return;
  }
  $buf{$stream} .= $chunk;
  while ((my $i = index($buf{$stream}, "\n")) >= 0) {
    emit($stream, substr($buf{$stream}, 0, $i), 'F');
    substr($buf{$stream}, 0, $i + 1) = '';
  }
  if (length $buf{$stream} >= 16384) { emit($stream, $buf{$stream}, 'P'); $buf{$stream} = ''; }
}
# waits up to $timeout seconds for output and copies what is there
sub pump {
  my ($timeout) = @_;
  if (!%open) { select(undef, undef, undef, $timeout); return; }
  my $rin = '';
  vec($rin, fileno($open{$_}), 1) = 1 for keys %open;
  my $n = select(my $rout = $rin, undef, undef, $timeout);
  return if $n <= 0;
  for my $stream (keys %open) { drain($stream) if vec($rout, fileno($open{$stream}), 1); }
}
sub reap {
  while ((my $p = waitpid(-1, $WNOHANG)) > 0) {
    my $st = $?;
    if ($p == $runc_pid) { $runc_status = $st; }
    elsif ($container_pid && $p == $container_pid) { $status = $st; }
    elsif (!$container_pid) { $status = $st; $container_pid = $p; } # exited before we read the pid file
  }
}

# runc run -d takes ~0.1 s: poll finely so that the agent learns quickly that the container runs
while (!defined $runc_status) { pump(0.005); reap(); }
if ($runc_status != 0) {
  for (1 .. 20) { last unless %open; pump(0.05); }
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

while (1) {
  reap();
  last if defined $status && !%open;
  last if !defined $status && !%open && $container_pid && !kill(0, $container_pid); # not our child after all
  # output arrives or the pipes close at exit; once closed, only the reaping is left to wait for
  pump(%open ? 1 : 0.02);
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
