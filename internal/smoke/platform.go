package smoke

import (
	"strconv"
	"strings"
)

// Platform is what a test container runs on, as seen from inside it: what
// a benchmark or a reference is worth only beside. It is read once per run
// (PlatformScript) and never judged.
type Platform struct {
	Arch string `json:"arch,omitempty"`
	CPU  string `json:"cpu,omitempty"`
	OS   string `json:"os,omitempty"`
	// Accelerator is the GPU model the container sees ("MXC500", "NVIDIA
	// A100-SXM4-80GB"); Driver its driver version; GPUs how many it sees.
	Accelerator string `json:"accelerator,omitempty"`
	Driver      string `json:"driver,omitempty"`
	GPUs        int    `json:"gpus,omitempty"`
}

// PlatformScript prints key=value lines about the container's platform.
// nvidia-smi and mx-smi are asked only when the image has them, and see
// only the devices the container was given.
const PlatformScript = `line() { [ -n "$2" ] && printf '%s=%s\n' "$1" "$2"; }
line arch "$(uname -m 2>/dev/null)"
while IFS= read -r l; do
	case $l in "model name"*) line cpu "${l#*: }"; break ;; esac
done </proc/cpuinfo 2>/dev/null
if [ -r /etc/os-release ]; then
	( . /etc/os-release && line os "$PRETTY_NAME" )
fi
if command -v nvidia-smi >/dev/null 2>&1; then
	nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | while IFS=, read -r name driver; do
		line gpu "$name"; line driver "${driver# }"
	done
fi
if command -v mx-smi >/dev/null 2>&1; then
	mx-smi -L 2>/dev/null | while read -r idx model _; do
		case $idx in GPU#*) line gpu "$model" ;; esac
	done
	mx-smi 2>/dev/null | while IFS= read -r l; do
		case $l in *"Kernel Mode Driver Version:"*)
			v=${l#*Kernel Mode Driver Version:}; set -- $v; line driver "$1"; break ;;
		esac
	done
fi
exit 0`

// ParsePlatform reads PlatformScript's output.
func ParsePlatform(out string) Platform {
	var p Platform
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "arch":
			p.Arch = v
		case "cpu":
			p.CPU = v
		case "os":
			p.OS = v
		case "gpu":
			if p.Accelerator == "" {
				p.Accelerator = v
			}
			p.GPUs++
		case "driver":
			if p.Driver == "" {
				p.Driver = v
			}
		}
	}
	return p
}

// String is the platform in one line for reports.
func (p Platform) String() string {
	var parts []string
	if p.Accelerator != "" {
		acc := p.Accelerator
		if p.GPUs > 1 {
			acc = strconv.Itoa(p.GPUs) + "× " + acc
		}
		if p.Driver != "" {
			acc += " (driver " + p.Driver + ")"
		}
		parts = append(parts, acc)
	}
	if p.CPU != "" {
		parts = append(parts, p.CPU)
	}
	if p.Arch != "" && p.CPU == "" {
		parts = append(parts, p.Arch)
	}
	if p.OS != "" {
		parts = append(parts, p.OS)
	}
	return strings.Join(parts, ", ")
}
