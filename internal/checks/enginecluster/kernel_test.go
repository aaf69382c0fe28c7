package enginecluster

import (
	"bytes"
	"compress/gzip"
	"testing"
)

func gz(s string) *bytes.Buffer {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return &b
}

func TestKernelHasESP(t *testing.T) {
	for cfg, want := range map[string][2]bool{
		"CONFIG_XFRM_USER=y\nCONFIG_INET_ESP=m\n": {true, true},
		"CONFIG_INET_ESP=y\n":                     {true, true},
		"# CONFIG_INET_ESP is not set\n":          {false, true},
		"CONFIG_XFRM_USER=y\nCONFIG_INET_AH=y\n":  {false, false},
		"CONFIG_INET_ESP_OFFLOAD=m\n":             {false, false},
	} {
		has, known, err := KernelHasESP(gz(cfg))
		if err != nil || has != want[0] || known != want[1] {
			t.Errorf("%q: has %v known %v err %v, want %v", cfg, has, known, err, want)
		}
	}
	if _, _, err := KernelHasESP(bytes.NewBufferString("not gzip")); err == nil {
		t.Error("a file that is not gzip gave no error")
	}
}
