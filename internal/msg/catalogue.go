package msg

import (
	"embed"
	"fmt"

	"gopkg.in/yaml.v3"
)

//go:embed ru.yaml kk.yaml
var files embed.FS

// catalogue maps a language to its translations, each keyed by the English format.
var catalogue = mustRead()

func mustRead() map[string]map[string]string {
	c, err := Read(files)
	if err != nil {
		panic(err) // the catalogue is embedded: a broken one is caught by the package's tests
	}
	return c
}

// Read loads <lang>.yaml of every language in Languages from fsys.
func Read(fsys embed.FS) (map[string]map[string]string, error) {
	c := map[string]map[string]string{}
	for _, lang := range Languages {
		raw, err := fsys.ReadFile(lang + ".yaml")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := yaml.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("msg: %s.yaml: %w", lang, err)
		}
		c[lang] = m
	}
	return c, nil
}
