// Package deploy holds the tests of tuijin's deployment files: the Helm
// chart in charts/tuijin and docker-compose.yml. Neither can run on a
// machine without a container engine, so they are checked by the tools'
// own loaders and renderers.
package deploy
