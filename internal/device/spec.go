package device

import (
	"strconv"
)

// Spec is what a container needs to use the resolved devices. Field names
// follow Docker's API types so the runner copies them across one to one:
//
//	Devices     → HostConfig.Resources.Devices (container.DeviceMapping)
//	GroupAdd    → HostConfig.GroupAdd (as decimal strings)
//	Env         → Config.Env
//	ShmSize     → HostConfig.ShmSize
//	Ulimits     → HostConfig.Resources.Ulimits
//	SecurityOpt → HostConfig.SecurityOpt
//	Privileged  → HostConfig.Privileged
//	DeviceRequests → HostConfig.Resources.DeviceRequests
//
// The zero Spec passes no devices and changes nothing.
type Spec struct {
	// Profile is the profile that produced the Spec; auto has been
	// resolved to maca or none.
	Profile     Profile
	Devices     []DeviceMapping
	GroupAdd    []uint32 // sorted, without duplicates
	Env         []string // KEY=VALUE, sorted by key
	ShmSize     int64    // bytes; 0 leaves Docker's default
	Ulimits     []Ulimit
	SecurityOpt []string
	Privileged  bool
	// DeviceRequests ask the engine for devices by capability or CDI name
	// (the nvidia profile) instead of by node.
	DeviceRequests []DeviceRequest
	// GPUs are the GPUs passed, in the order the container numbers them.
	GPUs []GPU
	// NoDeviceReason says why Devices is empty, for tests that need a
	// device and are skipped.
	NoDeviceReason string
	Warnings       []string
}

// DeviceMapping passes one host node into the container.
type DeviceMapping struct {
	PathOnHost        string
	PathInContainer   string
	CgroupPermissions string // "rwm"
}

// Ulimit is a resource limit for the container's processes; Soft and Hard
// are Unlimited or a count (bytes for memlock and stack).
type Ulimit struct {
	Name       string
	Soft, Hard int64
}

// HasDevices reports whether the Spec passes any device, by node or by
// request.
func (s Spec) HasDevices() bool { return len(s.Devices) > 0 || len(s.DeviceRequests) > 0 }

// DockerRunArgs returns the docker run flags equivalent to s, one flag per
// element in --flag=value form.
func (s Spec) DockerRunArgs() []string {
	var args []string
	for _, d := range s.Devices {
		args = append(args, "--device="+d.PathOnHost+":"+d.PathInContainer+":"+d.CgroupPermissions)
	}
	for _, r := range s.DeviceRequests {
		if r.Driver == "cdi" {
			for _, id := range r.DeviceIDs {
				args = append(args, "--device="+id)
			}
			continue
		}
		args = append(args, "--gpus="+gpusFlag(r))
	}
	for _, gid := range s.GroupAdd {
		args = append(args, "--group-add="+strconv.FormatUint(uint64(gid), 10))
	}
	for _, e := range s.Env {
		args = append(args, "--env="+e)
	}
	if s.ShmSize > 0 {
		args = append(args, "--shm-size="+FormatSize(s.ShmSize))
	}
	for _, u := range s.Ulimits {
		args = append(args, "--ulimit="+u.Name+"="+ulimitValue(u))
	}
	for _, o := range s.SecurityOpt {
		args = append(args, "--security-opt="+o)
	}
	if s.Privileged {
		args = append(args, "--privileged")
	}
	return args
}

// ulimitValue renders soft[:hard] in bytes: docker run's --ulimit takes
// plain numbers, not sizes with units.
func ulimitValue(u Ulimit) string {
	v := strconv.FormatInt(u.Soft, 10)
	if u.Hard != u.Soft {
		v += ":" + strconv.FormatInt(u.Hard, 10)
	}
	return v
}
