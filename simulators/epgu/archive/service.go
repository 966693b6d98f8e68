package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// serviceFile is dir/service.yaml: what a service's specification says of its archive.
type serviceFile struct {
	Code            string   `yaml:"code"`
	TargetCodes     []string `yaml:"targetCodes"`
	TransportFile   string   `yaml:"transportFile"`
	TransportSchema string   `yaml:"transportSchema"` // optional
	BusinessFile    string   `yaml:"businessFile"`
	Schema          string   `yaml:"schema"`
	Signatures      bool     `yaml:"signatures"`
	SignConfig      bool     `yaml:"signConfig"`
	MaxUncompressed int64    `yaml:"maxUncompressed"` // optional
}

var (
	digits     = regexp.MustCompile(`^[0-9]+$`)
	targetCode = regexp.MustCompile(`^-?[0-9]+$`)
)

// LoadService reads dir/service.yaml (code, targetCodes, transportFile, transportSchema,
// businessFile, schema, signatures, signConfig, maxUncompressed) and compiles the schemas it names,
// which are paths inside dir (their imports resolve inside dir too).
func LoadService(fsys fs.FS, dir string) (Service, error) {
	where := path.Join(dir, "service.yaml")
	raw, err := fs.ReadFile(fsys, where)
	if err != nil {
		return Service{}, fmt.Errorf("service %s: %w", dir, err)
	}
	var f serviceFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Service{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := f.validate(); err != nil {
		return Service{}, fmt.Errorf("%s: %w", where, err)
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return Service{}, fmt.Errorf("service %s: %w", dir, err)
	}
	s := Service{Code: f.Code, TargetCodes: f.TargetCodes, TransportFile: f.TransportFile, BusinessFile: f.BusinessFile,
		Signatures: f.Signatures, SignConfig: f.SignConfig, MaxUncompressed: f.MaxUncompressed}
	if s.Schema, err = compileService(sub, f.Schema); err != nil {
		return Service{}, fmt.Errorf("%s: schema: %w", where, err)
	}
	if f.TransportSchema != "" {
		if s.TransportSchema, err = compileService(sub, f.TransportSchema); err != nil {
			return Service{}, fmt.Errorf("%s: transportSchema: %w", where, err)
		}
	}
	return s, nil
}

func (f serviceFile) validate() error {
	var errs []error
	if !digits.MatchString(f.Code) {
		errs = append(errs, fmt.Errorf("code %q: the serviceCode is digits (e.g. \"10000000109\")", f.Code))
	}
	for _, c := range f.TargetCodes {
		if !targetCode.MatchString(c) {
			errs = append(errs, fmt.Errorf("targetCodes: %q is not a number", c))
		}
	}
	for _, p := range []struct{ key, value string }{{"transportFile", f.TransportFile}, {"businessFile", f.BusinessFile}} {
		switch _, err := path.Match(p.value, ""); {
		case p.value == "":
			errs = append(errs, fmt.Errorf("%s is required: the file's name or pattern in the archive", p.key))
		case err != nil:
			errs = append(errs, fmt.Errorf("%s %q is not a valid pattern: %w", p.key, p.value, err))
		case strings.ContainsAny(p.value, `/\`):
			errs = append(errs, fmt.Errorf("%s %q names a folder: the archive is flat (EPGU-2.1.3)", p.key, p.value))
		}
	}
	if f.Schema == "" {
		errs = append(errs, errors.New("schema is required: the business file's XSD, a path inside the service's folder"))
	}
	if f.MaxUncompressed < 0 {
		errs = append(errs, fmt.Errorf("maxUncompressed %d is negative", f.MaxUncompressed))
	}
	return errors.Join(errs...)
}
