package docker

import "github.com/moby/moby/api/types/container"

// ContainerSpec is how a container is started, as plain data: the device
// profile's nodes, groups, limits and options, and the user's mounts.
type ContainerSpec struct {
	Devices []Device
	// GroupAdd holds numeric group ids, so that images without a "video"
	// group still get access to the device nodes.
	GroupAdd []string
	// Env holds KEY=VALUE entries added to the image's environment.
	Env []string
	// ShmSize is /dev/shm's size in bytes; 0 keeps Docker's default.
	ShmSize     int64
	Ulimits     []Ulimit
	SecurityOpt []string
	Privileged  bool
	// Binds are host directories mounted into the container, in Docker's
	// SRC:DST[:ro] form: a model directory for tests that need weights.
	Binds []string
	// Labels are added to the container next to the caller's own.
	Labels map[string]string
	// DeviceRequests ask the engine for devices by capability (gpu) or by
	// CDI name, as docker run --gpus and --device NAME=ID do.
	DeviceRequests []DeviceRequest
}

// DeviceRequest is one request for devices; see container.DeviceRequest.
type DeviceRequest struct {
	Driver       string
	Count        int
	DeviceIDs    []string
	Capabilities [][]string
}

// Device passes one host device node into the container.
type Device struct {
	HostPath      string
	ContainerPath string
	// Permissions is the cgroup access, "rwm" when empty.
	Permissions string
}

// Ulimit is one resource limit, e.g. memlock; -1 means unlimited.
type Ulimit struct {
	Name string
	Soft int64
	Hard int64
}

// ConfigModifier adds the spec's environment to a container's config; it has
// the shape testcontainers-go's WithConfigModifier takes.
func (s ContainerSpec) ConfigModifier() func(*container.Config) {
	return func(c *container.Config) { c.Env = append(c.Env, s.Env...) }
}

// HostConfigModifier applies the spec to a container's host config, with an
// init process that reaps what tests leave behind and makes stop immediate;
// it has the shape testcontainers-go's WithHostConfigModifier takes.
func (s ContainerSpec) HostConfigModifier() func(*container.HostConfig) {
	return func(hc *container.HostConfig) {
		init := true
		hc.Init = &init
		for _, d := range s.Devices {
			perms := d.Permissions
			if perms == "" {
				perms = "rwm"
			}
			hc.Devices = append(hc.Devices, container.DeviceMapping{
				PathOnHost: d.HostPath, PathInContainer: d.ContainerPath, CgroupPermissions: perms,
			})
		}
		hc.GroupAdd = append(hc.GroupAdd, s.GroupAdd...)
		if s.ShmSize > 0 {
			hc.ShmSize = s.ShmSize
		}
		for _, u := range s.Ulimits {
			hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
		}
		hc.SecurityOpt = append(hc.SecurityOpt, s.SecurityOpt...)
		hc.Privileged = s.Privileged
		hc.Binds = append(hc.Binds, s.Binds...)
		for _, r := range s.DeviceRequests {
			hc.DeviceRequests = append(hc.DeviceRequests, container.DeviceRequest{
				Driver: r.Driver, Count: r.Count, DeviceIDs: r.DeviceIDs, Capabilities: r.Capabilities,
			})
		}
	}
}
