package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/config"
	"github.com/discourse-chatbot/discourse-chatbot/cmd/discourse-chatbot/platforms"
)

// Where the config is looked for when --config is not given, in this order.
const (
	configEnv        = "DISCOURSE_CHATBOT_CONFIG"
	configLocalFile  = "discourse-chatbot.yaml"
	configSystemFile = "/etc/discourse-chatbot/config.yaml"
)

// configPath picks the config file: --config, else $DISCOURSE_CHATBOT_CONFIG (which must then
// exist), else ./discourse-chatbot.yaml, else /etc/discourse-chatbot/config.yaml, whichever
// exists first. from says which rule chose it ("" for --config).
func configPath(flag string) (path, from string, err error) {
	if flag != "" {
		return flag, "", nil
	}
	if p := os.Getenv(configEnv); p != "" {
		return p, "$" + configEnv, nil
	}
	for _, c := range []struct{ path, from string }{
		{configLocalFile, "the working directory"},
		{configSystemFile, "the system-wide default"},
	} {
		if _, err := os.Stat(c.path); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return c.path, c.from, nil
		}
	}
	return "", "", usagef("no config: pass --config FILE, set $%s, or create ./%s or %s",
		configEnv, configLocalFile, configSystemFile)
}

// loadConfig finds the config (see configPath), says which file it took when --config did not
// name it, and reads it against the platform registry.
func (a *app) loadConfig(flag string) (*config.Config, error) {
	path, from, err := configPath(flag)
	if err != nil {
		return nil, err
	}
	if from != "" {
		a.logger.Info("using config "+path+" (from "+from+")", "config", path)
	}
	return config.Load(path, platforms.All)
}

// addConfigFlag adds the --config flag to cmd; without it the config is looked for (configPath).
func addConfigFlag(cmd *cobra.Command, path *string, persistent bool) {
	flags := cmd.Flags()
	if persistent {
		flags = cmd.PersistentFlags()
	}
	flags.StringVarP(path, "config", "c", "", "the YAML config file (default: $"+configEnv+", ./"+configLocalFile+" or "+configSystemFile+")")
}
