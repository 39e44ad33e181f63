// kube-stack: one binary, hyperkube style, that runs a real Kubernetes control plane for
// gitops-seal's tests. The first argument (or the name the binary is called by) picks the
// component; every component runs as its own process, started by test/stack/kube.ts:
//
//	kube-stack etcd --data-dir D --client-port N --peer-port M   embedded etcd (go.etcd.io/etcd/server/v3/embed)
//	kube-stack kube-apiserver [flags]                            k8s.io/kubernetes/cmd/kube-apiserver
//	kube-stack kube-controller-manager [flags]
//	kube-stack kube-scheduler [flags]
//	kube-stack kubectl [args]                                    also when invoked through a symlink named kubectl
//	kube-stack pki DIR                                           CA, serving cert and service-account keys
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectl "k8s.io/kubectl/pkg/cmd"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "kube-stack" || name == "main" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "usage: kube-stack etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kubectl|pki ...")
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	var cmd *cobra.Command
	switch name {
	case "etcd":
		os.Exit(runEtcd(args))
	case "pki":
		os.Exit(runPKI(args))
	case "kube-apiserver":
		cmd = apiserver.NewAPIServerCommand()
	case "kube-controller-manager":
		cmd = controllermanager.NewControllerManagerCommand()
	case "kube-scheduler":
		cmd = scheduler.NewSchedulerCommand()
	case "kubectl":
		cmd = kubectl.NewDefaultKubectlCommand()
	default:
		fmt.Fprintf(os.Stderr, "kube-stack: unknown component %q\n", name)
		os.Exit(2)
	}
	cmd.SetArgs(args)
	os.Exit(cli.Run(cmd))
}
