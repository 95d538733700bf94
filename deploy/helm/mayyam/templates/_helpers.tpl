{{/*
mayyam.name: the chart's name, or nameOverride. Used in labels, so that
every object of the chart is found by app.kubernetes.io/name.
*/}}
{{- define "mayyam.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
mayyam.fullname: the prefix of every object's name. It holds the release
name, so that two releases in one namespace do not collide, but not twice
when the release is already called after the chart. 52 characters leave
room for the longest suffix ("-operator") within the 63 of a label value.
*/}}
{{- define "mayyam.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
mayyam.componentName: the name of a component's objects, "<fullname>-<component>".
Takes a dict with "context" (the root context) and "component".
*/}}
{{- define "mayyam.componentName" -}}
{{- printf "%s-%s" (include "mayyam.fullname" .context) .component }}
{{- end }}

{{/*
mayyam.selectorLabels: the labels a component's Deployment, Service, PDB and
NetworkPolicy select its Pods by. They never change after the first
install, because a Deployment's selector cannot. Takes "context" and
"component".
*/}}
{{- define "mayyam.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mayyam.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
mayyam.labels: the labels of every object, in one place: the selector
labels plus the chart, version and manager. Takes "context" and "component".
*/}}
{{- define "mayyam.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .context.Chart.Name .context.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "mayyam.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: mayyam
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- end }}

{{/*
mayyam.image: the image reference both Deployments run; the tag defaults
to the chart's appVersion, the version of Mayyam this chart was made for.
*/}}
{{- define "mayyam.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
mayyam.jwtSecretName: the Secret that holds the JWT secret: the one named
in jwt.existingSecret, else the one the chart creates.
*/}}
{{- define "mayyam.jwtSecretName" -}}
{{- .Values.jwt.existingSecret | default (printf "%s-jwt" (include "mayyam.fullname" .)) }}
{{- end }}

{{/*
mayyam.leaseName: the Lease the operator's replicas compete for; its name
is also what the operator's Role may read and update, and nothing else.
*/}}
{{- define "mayyam.leaseName" -}}
{{- include "mayyam.componentName" (dict "context" . "component" "operator") }}
{{- end }}

{{/*
mayyam.inClusterName: the ClusterRole and ClusterRoleBinding of inCluster.
Cluster-wide names carry the namespace, as releases of the same name in
two namespaces would otherwise share them.
*/}}
{{- define "mayyam.inClusterName" -}}
{{- printf "%s-%s-in-cluster" .Release.Namespace (include "mayyam.fullname" .) }}
{{- end }}

{{/*
mayyam.commonEnv: the settings both components share: which namespace
holds the MayyamClusters (the release's own, where their Roles are) and
how to log.
*/}}
{{- define "mayyam.commonEnv" -}}
- name: MAYYAM_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: MAYYAM_LOG_FORMAT
  value: {{ .Values.logging.format | quote }}
- name: MAYYAM_LOG_LEVEL
  value: {{ .Values.logging.level | quote }}
{{- end }}

{{/*
mayyam.validate: refuses combinations of values that the schema cannot
express, with a message that says what to change. Every template that
renders objects includes it, so "helm template" fails as "install" does.
*/}}
{{- define "mayyam.validate" -}}
{{- if and (gt (int .Values.operator.replicas) 1) (not .Values.operator.leaderElection) }}
{{- fail "operator.replicas > 1 needs operator.leaderElection: true; without a Lease every replica would probe and write the same status" }}
{{- end }}
{{- $hmac := list "HS256" "HS384" "HS512" }}
{{- range .Values.jwt.algorithms }}
{{- if and $.Values.jwt.publicKey (has . $hmac) }}
{{- fail (printf "jwt.algorithms has %s, an HMAC algorithm, but jwt.publicKey is set; list public-key algorithms such as RS256 or ES256" .) }}
{{- end }}
{{- if and (not $.Values.jwt.publicKey) (not (has . $hmac)) }}
{{- fail (printf "jwt.algorithms has %s, which needs jwt.publicKey (the PEM public key that verifies tokens)" .) }}
{{- end }}
{{- end }}
{{- if and .Values.networkPolicy.apiFrom (not .Values.networkPolicy.enabled) }}
{{- fail "networkPolicy.apiFrom is set but networkPolicy.enabled is false; enable it, or the API stays open to every peer" }}
{{- end }}
{{- end }}
