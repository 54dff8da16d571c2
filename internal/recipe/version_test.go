package recipe

import "testing"

func TestConstraintAllows(t *testing.T) {
	tests := []struct {
		constraint, version string
		want                bool
	}{
		{">=3.0", "3.0.0.5", true},
		{">=3.0", "2.33.0.6", false},
		{">=3.0, <3.1", "3.0.0.5", true},
		{">=3.0, <3.1", "3.1.0.0", false},
		{"==3.0.*", "3.0.0.5", true},
		{"==3.0.*", "3.1", false},
		{"!=3.0.*", "3.1", true},
		{"==3.0", "3.0.0.0", true},
		{"==3.0", "3.0.0.5", false},
		{"!=2.33.0.6", "2.33.0.6", false},
		{">3.8.0.2", "3.8.0.3-c600u", true},
		{"<=3.8.0.3", "3.8.0.3-c600u", true},
		{">=2.6, <2.7", "2.6.0+metax3.0.0.5", true},
		{"==3.10.*", "3.10.12", true},
		{"==3.1.*", "3.10", false},
		{">=3.0", "not-a-version", false},
		{">=3.0", "", false},
	}
	for _, tt := range tests {
		c, err := ParseConstraint(tt.constraint)
		if err != nil {
			t.Fatalf("ParseConstraint(%q): %v", tt.constraint, err)
		}
		if got := c.Allows(tt.version); got != tt.want {
			t.Errorf("%q.Allows(%q) = %v, want %v", tt.constraint, tt.version, got, tt.want)
		}
	}
}

func TestParseConstraintErrors(t *testing.T) {
	for _, s := range []string{"", " ", "3.0", ">=", ">=x", "~=2.6", ">=3.0.*", ">=3.0,", "=>3.0", ">=3..0", ">=3.0-"} {
		if _, err := ParseConstraint(s); err == nil {
			t.Errorf("ParseConstraint(%q) succeeded", s)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"3.0", "3.0.0.0", 0},
		{"3.10", "3.9", 1},
		{"2.33.0.6", "3.0.0.5", -1},
		{"3.8.0.3-c600u", "3.8.0.3", 0},
		{"2.6.0+metax3.0.0.5", "2.6.0", 0},
	}
	for _, tt := range tests {
		a, err := ParseVersion(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ParseVersion(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Compare(b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
