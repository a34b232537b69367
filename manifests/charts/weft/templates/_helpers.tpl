{{/*
Shared names and labels. Object names are fixed ("weftd", "weft-webhook")
rather than derived from the release name: proxies and the injector address
weftd by a well-known Service name, exactly as they address istiod.
*/}}

{{/* Labels on every object weft installs. No chart version label, so
bumping the chart does not churn every object in install.yaml. */}}
{{- define "weft.labels" -}}
app.kubernetes.io/name: weft
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: weft
{{- end }}

{{/* Labels of weftd pods and what selects them; must never change across
upgrades, because a Deployment's selector is immutable. */}}
{{- define "weft.selectorLabels" -}}
app: weftd
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "weft.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
