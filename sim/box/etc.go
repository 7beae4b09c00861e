package box

// files are the skeleton's configuration files, as on a fresh Ubuntu
// 22.04 cloud image before cloud-init has run (no default user yet).
func files() []entry {
	f := func(p string, mode int64, s string) entry {
		return entry{path: p, mode: mode, data: []byte(s)}
	}
	shadow := f("etc/shadow", 0o640, shadowText)
	shadow.gid = 42
	gshadow := f("etc/gshadow", 0o640, gshadowText)
	gshadow.gid = 42
	return []entry{
		f("etc/passwd", 0o644, passwdText),
		f("etc/group", 0o644, groupText),
		shadow, gshadow,
		f("etc/hostname", 0o644, "ubuntu\n"),
		f("etc/hosts", 0o644, "127.0.0.1 localhost\n\n"+
			"# The following lines are desirable for IPv6 capable hosts\n"+
			"::1 ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\n"+
			"ff00::0 ip6-mcastprefix\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"),
		f("etc/os-release", 0o644, osRelease),
		f("etc/lsb-release", 0o644, "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n"+
			"DISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.3 LTS\"\n"),
		f("etc/shells", 0o644, "# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n"+
			"/usr/bin/sh\n/usr/bin/bash\n"),
		f("etc/nsswitch.conf", 0o644, "passwd: files\ngroup: files\nshadow: files\n"+
			"gshadow: files\nhosts: files dns\nnetworks: files\n"),
		f("etc/profile", 0o644, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"+
			"/usr/bin:/sbin:/bin\nexport PATH\n"),
		f("etc/resolv.conf", 0o644, "nameserver 127.0.0.53\noptions edns0 trust-ad\n"),
		f("etc/ssh/sshd_config", 0o644, sshdConfig),
		f("etc/sudoers", 0o440, sudoers),
		f("etc/environment", 0o644, "PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:"+
			"/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin\"\n"),
		f("etc/netplan/.keep", 0o644, ""),
		f("usr/bin/bash", 0o755, shWrapper),
		f("usr/bin/sh", 0o755, shWrapper),
		f("usr/bin/dash", 0o755, shWrapper),
		f("usr/sbin/nologin", 0o755, "#!/bin/sh\necho 'This account is currently "+
			"not available.'\nexit 1\n"),
	}
}

// shWrapper stands for bash and dash when the runtime does not bind the
// host's: busybox sh under the names passwd and scripts use.
const shWrapper = "#!/usr/bin/busybox sh\nexec /usr/bin/busybox sh \"$@\"\n"

const passwdText = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
systemd-network:x:100:102:systemd Network Management,,,:/run/systemd:/usr/sbin/nologin
syslog:x:104:111::/home/syslog:/usr/sbin/nologin
sshd:x:105:65534::/run/sshd:/usr/sbin/nologin
`

const groupText = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:syslog
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
dialout:x:20:
cdrom:x:24:
floppy:x:25:
sudo:x:27:
audio:x:29:
dip:x:30:
www-data:x:33:
video:x:44:
plugdev:x:46:
staff:x:50:
users:x:100:
systemd-network:x:102:
syslog:x:111:
netdev:x:112:
lxd:x:113:
microk8s:x:998:
nogroup:x:65534:
shadow:x:42:
`

const shadowText = `root:*:19631:0:99999:7:::
daemon:*:19631:0:99999:7:::
bin:*:19631:0:99999:7:::
sys:*:19631:0:99999:7:::
sync:*:19631:0:99999:7:::
nobody:*:19631:0:99999:7:::
systemd-network:*:19631:0:99999:7:::
syslog:*:19631:0:99999:7:::
sshd:*:19631:0:99999:7:::
`

const gshadowText = `root:*::
adm:*::syslog
sudo:*::
microk8s:!::
shadow:*::
`

const osRelease = `PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=jammy
`

const sshdConfig = `# The simulated Ubuntu 22.04 cloud image's sshd configuration.
Include /etc/ssh/sshd_config.d/*.conf

KbdInteractiveAuthentication no
PasswordAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
UsePAM no
X11Forwarding no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
# Ubuntu's sessions get PATH from /etc/environment through PAM; without PAM
# the simulated guest sets the same PATH here.
SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
`

const sudoers = `Defaults	env_reset
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
root	ALL=(ALL:ALL) ALL
%admin ALL=(ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
@includedir /etc/sudoers.d
`
