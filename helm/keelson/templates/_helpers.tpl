{{- define "keelson.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 52 | trimSuffix "-" }}{{ else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "keelson.labels" -}}
app.kubernetes.io/name: keelson
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "keelson.selector" -}}
app.kubernetes.io/name: keelson
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "keelson.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "keelson.credentialsSecret" -}}
{{- required "credentials.existingSecret: name a Secret with ca.crt, ca.key, sa.key, sa.pub and admin.token (see helm/keelson/README.md)" .Values.credentials.existingSecret }}
{{- end }}

{{/* The api-server's in-cluster name: the scheduler, controller-manager and agents dial it */}}
{{- define "keelson.apiHost" -}}
{{ include "keelson.fullname" . }}-apiserver.{{ .Release.Namespace }}.svc
{{- end }}

{{- define "keelson.etcdServers" -}}
{{- if .Values.etcd.enabled -}}
{{- $full := include "keelson.fullname" . -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.etcd.replicas) -}}
{{- $urls = append $urls (printf "http://%s-etcd-%d.%s-etcd.%s.svc:%d" $full $i $full $.Release.Namespace (int $.Values.etcd.clientPort)) -}}
{{- end -}}
{{ join "," $urls }}
{{- else -}}
{{ required "etcd.externalEndpoints: list the etcd client URLs when etcd.enabled is false" (join "," .Values.etcd.externalEndpoints) }}
{{- end -}}
{{- end }}

{{/* Volumes every component mounts: the credentials Secret and the script that turns it into a kubeconfig */}}
{{- define "keelson.commonVolumes" -}}
- name: credentials
  secret:
    secretName: {{ include "keelson.credentialsSecret" . }}
    defaultMode: 0400
- name: scripts
  configMap:
    name: {{ include "keelson.fullname" . }}-scripts
    defaultMode: 0555
{{- end }}

{{- define "keelson.commonMounts" -}}
- {name: credentials, mountPath: /etc/keelson/credentials, readOnly: true}
- {name: scripts, mountPath: /etc/keelson/scripts, readOnly: true}
{{- end }}

{{- define "keelson.encryptionSecret" -}}
{{ .Values.encryption.existingSecret | default (printf "%s-encryption" (include "keelson.fullname" .)) }}
{{- end }}

{{/* The audit log's directory when it is a file (logVolume is mounted there) */}}
{{- define "keelson.auditLogDir" -}}
{{- if ne .Values.audit.logPath "-" }}{{ dir .Values.audit.logPath }}{{ end }}
{{- end }}

{{/* An agent's API endpoint and the kubeconfig its init container issues for it */}}
{{- define "keelson.agentClientEnv" -}}
- {name: KEELSON_API_URL, value: "https://{{ include "keelson.apiHost" . }}:{{ .Values.apiServer.port }}"}
- {name: KEELSON_KUBECONFIG, value: /run/keelson/kubeconfig}
{{ include "keelson.jvmOptions" (dict "root" . "component" .Values.agent) }}
{{- end }}

{{/* A component's JVM options (its heap and GC, sized so that every component fits one small host) and then
  the global jvmOptions, which come last and so win */}}
{{- define "keelson.jvmOptions" -}}
- {name: KEELSON_JVM_OPTS, value: {{ trim (printf "%s %s" (.component.jvmOptions | default "") .root.Values.jvmOptions) | quote }}}
{{- end }}
