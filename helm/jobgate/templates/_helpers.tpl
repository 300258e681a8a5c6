{{/* Names, labels, images and generated secrets shared by the templates. */}}

{{- define "jobgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jobgate.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "jobgate.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "jobgate.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; "component" names the part (gateway, executor, postgresql, migrations). */}}
{{- define "jobgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "jobgate.selector" . }}
{{- end -}}

{{- define "jobgate.selector" -}}
app.kubernetes.io/name: {{ include "jobgate.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "jobgate.image" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .root.Values.image.registry) .repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "jobgate.pullSecrets" -}}
{{- with .Values.image.pullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "jobgate.databaseSecret" -}}
{{- if and (eq .Values.postgresql.mode "external") .Values.postgresql.external.existingSecret -}}
{{- .Values.postgresql.external.existingSecret -}}
{{- else -}}
{{- printf "%s-database" (include "jobgate.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "jobgate.databaseSecretKey" -}}
{{- if and (eq .Values.postgresql.mode "external") .Values.postgresql.external.existingSecret -}}
{{- .Values.postgresql.external.existingSecretKey -}}
{{- else -}}
url
{{- end -}}
{{- end -}}

{{- define "jobgate.tokensSecret" -}}
{{- .Values.tokens.existingSecret | default (printf "%s-tokens" (include "jobgate.fullname" .)) -}}
{{- end -}}

{{/* The value under key in the chart's Secret name as it is in the cluster, else a new random one made by
   the template named gen: generated once at install, kept by every upgrade. */}}
{{- define "jobgate.keep" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .name -}}
{{- if and $existing (hasKey $existing.data .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else -}}
{{- include .gen . -}}
{{- end -}}
{{- end -}}

{{/* A token secret as the gateway makes them: "jg", the role's initial, "_", 64 lowercase hex digits. */}}
{{- define "jobgate.newToken" -}}
{{- printf "jg%s_%s" (substr 0 1 .key) (randAlphaNum 64 | sha256sum) -}}
{{- end -}}

{{- define "jobgate.newPassword" -}}
{{- randAlphaNum 48 -}}
{{- end -}}

{{/* Annotations that make a Secret exist before the migrations hook and survive uninstall (a retained
   PostgreSQL volume still needs its password). */}}
{{- define "jobgate.secretHookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: "-10"
helm.sh/hook-delete-policy: before-hook-creation
helm.sh/resource-policy: keep
{{- end -}}

{{/* The restricted security context of everything but the executor. */}}
{{- define "jobgate.restrictedContainer" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The "to:" of egress rules towards PostgreSQL: the bundled pod, the configured peers, or anywhere. */}}
{{- define "jobgate.databasePeers" -}}
{{- if eq .Values.postgresql.mode "bundled" -}}
to:
  - podSelector:
      matchLabels:
        {{- include "jobgate.selector" (dict "root" . "component" "postgresql") | nindent 8 }}
{{- else if .Values.networkPolicy.databaseTo -}}
to:
  {{- toYaml .Values.networkPolicy.databaseTo | nindent 2 }}
{{- end -}}
{{- end -}}
