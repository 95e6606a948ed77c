package io.keelson.apiserver.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.status.StatusException.Cause;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class ValidatorTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  static ObjectNode json(String s) {
    return (ObjectNode) JSON.readTree(s.replace('\'', '"'));
  }

  static ResourceType type(String kind) {
    return ResourceRegistry.all().stream().filter(t -> t.kind().equals(kind)).findFirst().orElseThrow();
  }

  static final String SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.',"
      + " and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is"
      + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

  /** A valid object of each kind, defaulted as the server would store it; cases below break one thing. */
  static ObjectNode valid(String kind) {
    ObjectNode o = switch (kind) {
      case "Pod" -> json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web','namespace':'default','labels':{'app':'web'}},"
          + "'spec':{'containers':[{'name':'web','image':'nginx:1.25','ports':[{'name':'http','containerPort':80}],"
          + "'resources':{'requests':{'cpu':'100m','memory':'64Mi'},'limits':{'cpu':'1','memory':'1Gi'}},"
          + "'env':[{'name':'MODE','value':'prod'}],'volumeMounts':[{'name':'data','mountPath':'/data'}],"
          + "'readinessProbe':{'httpGet':{'port':'http'}}}],'volumes':[{'name':'data','emptyDir':{}}]}}");
      case "Deployment" -> json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default'},"
          + "'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web','tier':'fe'}},"
          + "'spec':{'containers':[{'name':'web','image':'nginx:1.25'}]}}}}");
      case "ReplicaSet" -> json("{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':'web-1','namespace':'default'},"
          + "'spec':{'replicas':1,'selector':{'matchExpressions':[{'key':'app','operator':'In','values':['web']}]},"
          + "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'web','image':'nginx'}]}}}}");
      case "DaemonSet" -> json("{'apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'agent','namespace':'default'},"
          + "'spec':{'selector':{'matchLabels':{'app':'agent'}},'template':{'metadata':{'labels':{'app':'agent'}},"
          + "'spec':{'containers':[{'name':'agent','image':'busybox'}]}}}}");
      case "StatefulSet" -> json("{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'db','namespace':'default'},"
          + "'spec':{'replicas':3,'serviceName':'db','selector':{'matchLabels':{'app':'db'}},'template':{'metadata':{'labels':{'app':'db'}},"
          + "'spec':{'containers':[{'name':'db','image':'busybox'}]}}}}");
      case "Service" -> json("{'apiVersion':'v1','kind':'Service','metadata':{'name':'web','namespace':'default'},"
          + "'spec':{'selector':{'app':'web'},'ports':[{'name':'http','port':80,'targetPort':'http'},{'name':'https','port':443}]}}");
      case "ConfigMap" -> json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cfg','namespace':'default'},"
          + "'data':{'app.properties':'a=b','KEY_2':'v'},'binaryData':{'blob':'AAEC'}}");
      case "Secret" -> json("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s','namespace':'default'},'type':'Opaque',"
          + "'data':{'password':'aHVudGVyMg=='}}");
      case "Namespace" -> json("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'team-a'}}");
      case "Node" -> json("{'apiVersion':'v1','kind':'Node','metadata':{'name':'node-1.example'},"
          + "'spec':{'taints':[{'key':'dedicated','value':'gpu','effect':'NoSchedule'}]}}");
      case "Lease" -> json("{'apiVersion':'coordination.k8s.io/v1','kind':'Lease','metadata':{'name':'node-1','namespace':'kube-node-lease'},"
          + "'spec':{'holderIdentity':'node-1','leaseDurationSeconds':40}}");
      case "PriorityClass" -> json("{'apiVersion':'scheduling.k8s.io/v1','kind':'PriorityClass','metadata':{'name':'high'},'value':1000}");
      case "RuntimeClass" -> json("{'apiVersion':'node.k8s.io/v1','kind':'RuntimeClass','metadata':{'name':'vm'},'handler':'vm'}");
      case "EndpointSlice" -> json("{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice','metadata':{'name':'web-x1','namespace':'default'},"
          + "'addressType':'IPv4','endpoints':[{'addresses':['10.244.1.5'],'conditions':{'ready':true},'nodeName':'node-1',"
          + "'hostname':'web-0'}],'ports':[{'name':'http','port':8080,'protocol':'TCP'},{'name':'metrics','port':9090}]}");
      case "Event" -> json("{'apiVersion':'v1','kind':'Event','metadata':{'name':'web.1','namespace':'default'},"
          + "'involvedObject':{'kind':'Pod','name':'web','namespace':'default'},'reason':'Started','message':'Started container web'}");
      case "Job" -> json("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi','namespace':'default','uid':'u-1'},"
          + "'spec':{'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'pi','image':'busybox'}]}}}}");
      case "CronJob" -> json("{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'nightly','namespace':'default'},"
          + "'spec':{'schedule':'*/5 * * * *','jobTemplate':{'metadata':{'name':'nightly'},'spec':{'template':{'spec':{"
          + "'restartPolicy':'OnFailure','containers':[{'name':'c','image':'busybox'}]}}}}}}");
      case "HorizontalPodAutoscaler" -> json("{'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler',"
          + "'metadata':{'name':'web','namespace':'default'},'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment',"
          + "'name':'web'},'maxReplicas':5,'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization',"
          + "'averageUtilization':50}}},{'type':'Pods','pods':{'metric':{'name':'qps'},'target':{'type':'AverageValue','averageValue':'10'}}}],"
          + "'behavior':{'scaleDown':{'stabilizationWindowSeconds':60}}}}");
      case "PodDisruptionBudget" -> json("{'apiVersion':'policy/v1','kind':'PodDisruptionBudget','metadata':{'name':'web',"
          + "'namespace':'default'},'spec':{'minAvailable':'50%','selector':{'matchLabels':{'app':'web'}}}}");
      case "Ingress" -> json("{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'web','namespace':'default'},"
          + "'spec':{'ingressClassName':'nginx','tls':[{'hosts':['web.example.com'],'secretName':'web-tls'}],'rules':["
          + "{'host':'web.example.com','http':{'paths':[{'path':'/','pathType':'Prefix','backend':{'service':{'name':'web','port':{'number':80}}}},"
          + "{'path':'/api','pathType':'Exact','backend':{'service':{'name':'api','port':{'name':'http'}}}}]}},"
          + "{'host':'*.example.com','http':{'paths':[{'pathType':'ImplementationSpecific','backend':{'resource':{'apiGroup':'k8s.example.com',"
          + "'kind':'StorageBucket','name':'static'}}}]}}]}}");
      case "IngressClass" -> json("{'apiVersion':'networking.k8s.io/v1','kind':'IngressClass','metadata':{'name':'nginx'},"
          + "'spec':{'controller':'k8s.io/ingress-nginx'}}");
      case "PersistentVolume" -> json("{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':'pv-1'},'spec':{"
          + "'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/srv/pv-1'}}}");
      case "PersistentVolumeClaim" -> json("{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'data','namespace':"
          + "'default'},'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}},'storageClassName':'local-path'}}");
      case "StorageClass" -> json("{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass','metadata':{'name':'fast'},"
          + "'provisioner':'keelson.io/local-path'}");
      default -> throw new IllegalArgumentException(kind);
    };
    if (kind.equals("Job")) Defaulter.generateJobSelector(o); // as the create path does, with the stored uid
    Defaulter.applyDefaults(type(kind), o);
    return o;
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void validObjectsPass(String kind) {
    assertThatCode(() -> Validator.validate(type(kind), valid(kind), null)).doesNotThrowAnyException();
    assertThatCode(() -> Validator.validate(type(kind), valid(kind), valid(kind))).doesNotThrowAnyException();
  }

  static Stream<String> kinds() {
    return Stream.of("Pod", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Service", "ConfigMap", "Secret", "Namespace", "Node",
        "Lease", "PriorityClass", "RuntimeClass", "EndpointSlice", "Event", "Job", "CronJob",
        "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "IngressClass", "PersistentVolume", "PersistentVolumeClaim",
        "StorageClass");
  }

  /** kind, JSON pointer to change, new value (null removes), expected field, reason, message start. */
  static Stream<Arguments> invalidObjects() {
    return Stream.of(
        Arguments.of("Deployment", "/metadata/name", "'Bad_Name'", "metadata.name", "FieldValueInvalid",
            "Invalid value: \"Bad_Name\": " + SUBDOMAIN_MSG),
        Arguments.of("Pod", "/metadata/name", null, "metadata.name", "FieldValueRequired", "Required value: name or generateName is required"),
        Arguments.of("Pod", "/metadata/name", "'" + "a".repeat(254) + "'", "metadata.name", "FieldValueInvalid", "Invalid value: \"aaaa"),
        Arguments.of("Pod", "/metadata/generateName", "'Web-'", "metadata.generateName", "FieldValueInvalid", "Invalid value: \"Web-\": a lowercase RFC 1123 subdomain"),
        Arguments.of("Namespace", "/metadata/name", "'team.a'", "metadata.name", "FieldValueInvalid",
            "Invalid value: \"team.a\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must"
                + " start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is"
                + " '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
        Arguments.of("Service", "/metadata/name", "'1web'", "metadata.name", "FieldValueInvalid",
            "Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an"
                + " alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for"
                + " validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"),
        Arguments.of("ConfigMap", "/metadata/name", "'a/b'", "metadata.name", "FieldValueInvalid", "Invalid value: \"a/b\": may not contain '/'"),
        Arguments.of("Node", "/metadata/namespace", "'default'", "metadata.namespace", "FieldValueForbidden", "Forbidden: not allowed on this type"),
        Arguments.of("Pod", "/metadata/labels", "{'bad key!':'x'}", "metadata.labels", "FieldValueInvalid",
            "Invalid value: \"bad key!\": name part must consist of alphanumeric characters"),
        Arguments.of("Pod", "/metadata/labels", "{'app':'has space'}", "metadata.labels", "FieldValueInvalid",
            "Invalid value: \"has space\": a valid label must be an empty string or consist of alphanumeric characters"),
        Arguments.of("Pod", "/metadata/labels", "{'app':'" + "v".repeat(64) + "'}", "metadata.labels", "FieldValueInvalid",
            "Invalid value: \"vvvv"),
        Arguments.of("Pod", "/metadata/labels", "{'Example.com/app':'x'}", "metadata.labels", "FieldValueInvalid",
            "Invalid value: \"Example.com/app\": prefix part a lowercase RFC 1123 subdomain"),
        Arguments.of("Pod", "/metadata/annotations", "{'big':'" + "x".repeat(256 * 1024) + "'}", "metadata.annotations",
            "FieldValueTooLong", "Too long: may not be more than 262144 bytes"),
        Arguments.of("Pod", "/metadata/finalizers", "['a/b/c']", "metadata.finalizers[0]", "FieldValueInvalid", "Invalid value: \"a/b/c\""),
        Arguments.of("Pod", "/spec/containers", "[]", "spec.containers", "FieldValueRequired", "Required value"),
        Arguments.of("Pod", "/spec/containers/0/image", null, "spec.containers[0].image", "FieldValueRequired", "Required value"),
        Arguments.of("Deployment", "/spec/template/spec/containers/0/image", "''", "spec.template.spec.containers[0].image",
            "FieldValueRequired", "Required value"),
        Arguments.of("Pod", "/spec/containers/1", "{'name':'web','image':'busybox'}", "spec.containers[1].name", "FieldValueDuplicate",
            "Duplicate value: \"web\""),
        Arguments.of("Pod", "/spec/containers/0/name", "'Web'", "spec.containers[0].name", "FieldValueInvalid",
            "Invalid value: \"Web\": a lowercase RFC 1123 label"),
        Arguments.of("Pod", "/spec/containers/0/ports/0/containerPort", "70000", "spec.containers[0].ports[0].containerPort",
            "FieldValueInvalid", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        Arguments.of("Pod", "/spec/containers/0/ports/0/containerPort", "0", "spec.containers[0].ports[0].containerPort",
            "FieldValueRequired", "Required value"),
        Arguments.of("Pod", "/spec/containers/0/ports/0/protocol", "'HTTP'", "spec.containers[0].ports[0].protocol",
            "FieldValueNotSupported", "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""),
        Arguments.of("Pod", "/spec/containers/0/ports/0/name", "'http_port_name_too_long'", "spec.containers[0].ports[0].name",
            "FieldValueInvalid", "Invalid value: \"http_port_name_too_long\": must be no more than 15 characters"),
        Arguments.of("Pod", "/spec/containers/0/imagePullPolicy", "'Sometimes'", "spec.containers[0].imagePullPolicy",
            "FieldValueNotSupported", "Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""),
        Arguments.of("Pod", "/spec/containers/0/resources/limits/cpu", "'1.5.2'", "spec.containers[0].resources.limits[cpu]",
            "FieldValueInvalid", "Invalid value: \"1.5.2\": quantities must match the regular expression"),
        Arguments.of("Pod", "/spec/containers/0/resources/limits/memory", "'1Gb'", "spec.containers[0].resources.limits[memory]",
            "FieldValueInvalid", "Invalid value: \"1Gb\": quantities must match the regular expression"),
        Arguments.of("Pod", "/spec/containers/0/resources/limits/memory", "'1KM'", "spec.containers[0].resources.limits[memory]",
            "FieldValueInvalid", "Invalid value: \"1KM\": unable to parse quantity's suffix"),
        Arguments.of("Pod", "/spec/containers/0/resources/requests/cpu", "'2'", "spec.containers[0].resources.requests[cpu]",
            "FieldValueInvalid", "Invalid value: \"2\": must be less than or equal to cpu limit of 1"),
        Arguments.of("Pod", "/spec/containers/0/resources/requests/memory", "'-1Mi'", "spec.containers[0].resources.requests[memory]",
            "FieldValueInvalid", "Invalid value: \"-1Mi\": must be greater than or equal to 0"),
        Arguments.of("Pod", "/spec/containers/0/resources/requests/gpu", "'1'", "spec.containers[0].resources.requests[gpu]",
            "FieldValueInvalid", "Invalid value: \"gpu\": must be a standard resource type or fully qualified"),
        Arguments.of("Pod", "/spec/containers/0/env/0/name", "'A=B'", "spec.containers[0].env[0].name", "FieldValueInvalid",
            "Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"),
        Arguments.of("Pod", "/spec/containers/0/env/0/name", "''", "spec.containers[0].env[0].name", "FieldValueRequired", "Required value"),
        Arguments.of("Pod", "/spec/containers/0/volumeMounts/0/name", "'nope'", "spec.containers[0].volumeMounts[0].name",
            "FieldValueNotFound", "Not found: \"nope\""),
        Arguments.of("Pod", "/spec/volumes/1", "{'name':'data','emptyDir':{}}", "spec.volumes[1].name", "FieldValueDuplicate",
            "Duplicate value: \"data\""),
        Arguments.of("Pod", "/spec/containers/0/readinessProbe", "{'periodSeconds':5}", "spec.containers[0].readinessProbe",
            "FieldValueRequired", "Required value: must specify a handler type"),
        Arguments.of("Pod", "/spec/restartPolicy", "'Sometimes'", "spec.restartPolicy", "FieldValueNotSupported",
            "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""),
        Arguments.of("Pod", "/spec/tolerations/0", "{'key':'k','operator':'Exists','tolerationSeconds':60}", "spec.tolerations[0].effect",
            "FieldValueInvalid", "Invalid value: \"\": effect must be 'NoExecute' when `tolerationSeconds` is set"),
        Arguments.of("Pod", "/spec/tolerations/0", "{'key':'k','operator':'Exists','value':'v'}", "spec.tolerations[0].operator",
            "FieldValueInvalid", "Invalid value: \"Exists\": value must be empty when `operator` is 'Exists'"),
        Arguments.of("Pod", "/spec/nodeSelector", "{'disk':'fast ssd'}", "spec.nodeSelector", "FieldValueInvalid", "Invalid value: \"fast ssd\""),
        Arguments.of("Deployment", "/spec/replicas", "-1", "spec.replicas", "FieldValueInvalid",
            "Invalid value: -1: must be greater than or equal to 0"),
        Arguments.of("Deployment", "/spec/selector", null, "spec.selector", "FieldValueRequired", "Required value"),
        Arguments.of("Deployment", "/spec/selector", "{}", "spec.selector", "FieldValueInvalid", "Invalid value: {}: empty selector is invalid for deployment"),
        Arguments.of("Deployment", "/spec/template/metadata/labels", "{'app':'other'}", "spec.template.metadata.labels", "FieldValueInvalid",
            "Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`"),
        Arguments.of("Deployment", "/spec/template/spec/restartPolicy", "'Never'", "spec.template.spec.restartPolicy",
            "FieldValueNotSupported", "Unsupported value: \"Never\": supported values: \"Always\""),
        Arguments.of("Deployment", "/spec/strategy", "{'type':'Recreate','rollingUpdate':{'maxSurge':1}}", "spec.strategy.rollingUpdate",
            "FieldValueForbidden", "Forbidden: may not be specified when strategy `type` is 'Recreate'"),
        Arguments.of("Deployment", "/spec/strategy/rollingUpdate", "{'maxSurge':0,'maxUnavailable':0}",
            "spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid", "Invalid value: 0: may not be 0 when `maxSurge` is 0"),
        Arguments.of("Deployment", "/spec/strategy/rollingUpdate/maxSurge", "'lots'", "spec.strategy.rollingUpdate.maxSurge",
            "FieldValueInvalid", "Invalid value: \"lots\": a valid percent string"),
        Arguments.of("Deployment", "/spec/progressDeadlineSeconds", "0", "spec.progressDeadlineSeconds", "FieldValueInvalid",
            "Invalid value: 0: must be greater than minReadySeconds"),
        Arguments.of("ReplicaSet", "/spec/selector/matchExpressions/0/values", "[]", "spec.selector.matchExpressions[0].values",
            "FieldValueRequired", "Required value: must be specified when `operator` is 'In' or 'NotIn'"),
        Arguments.of("ReplicaSet", "/spec/selector/matchExpressions/0/operator", "'Like'", "spec.selector.matchExpressions[0].operator",
            "FieldValueInvalid", "Invalid value: \"Like\": not a valid selector operator"),
        Arguments.of("DaemonSet", "/spec/updateStrategy/type", "'Sometimes'", "spec.updateStrategy.type", "FieldValueNotSupported",
            "Unsupported value: \"Sometimes\": supported values: \"OnDelete\", \"RollingUpdate\""),
        Arguments.of("StatefulSet", "/spec/podManagementPolicy", "'Random'", "spec.podManagementPolicy", "FieldValueNotSupported",
            "Unsupported value: \"Random\": supported values: \"OrderedReady\", \"Parallel\""),
        Arguments.of("StatefulSet", "/spec/template/spec/restartPolicy", "'Never'", "spec.template.spec.restartPolicy",
            "FieldValueNotSupported", "Unsupported value: \"Never\": supported values: \"Always\""),
        Arguments.of("StatefulSet", "/spec/selector", null, "spec.selector", "FieldValueRequired", "Required value"),
        Arguments.of("StatefulSet", "/spec/template/metadata/labels/app", "'web'", "spec.template.metadata.labels", "FieldValueInvalid",
            "Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"),
        Arguments.of("StatefulSet", "/spec/volumeClaimTemplates", "[{'metadata':{'name':'data'},'spec':{'accessModes':['ReadWriteOnce']}}]",
            "spec.volumeClaimTemplates[0].spec.resources[storage]", "FieldValueRequired", "Required value"),
        Arguments.of("PersistentVolumeClaim", "/spec/accessModes", null, "spec.accessModes", "FieldValueRequired",
            "Required value: at least 1 access mode is required"),
        Arguments.of("PersistentVolumeClaim", "/spec/resources/requests/storage", "'lots'", "spec.resources.requests[storage]",
            "FieldValueInvalid", "Invalid value: \"lots\": quantities must match the regular expression"),
        Arguments.of("PersistentVolumeClaim", "/spec/resources/requests/storage", "'0'", "spec.resources.requests[storage]",
            "FieldValueInvalid", "Invalid value: \"0\": must be greater than zero"),
        Arguments.of("PersistentVolumeClaim", "/spec/volumeMode", "'Disk'", "spec.volumeMode", "FieldValueNotSupported",
            "Unsupported value: \"Disk\": supported values: \"Block\", \"Filesystem\""),
        Arguments.of("PersistentVolume", "/spec/capacity", null, "spec.capacity", "FieldValueRequired", "Required value"),
        Arguments.of("PersistentVolume", "/spec/hostPath", null, "spec", "FieldValueRequired", "Required value: must specify a volume type"),
        Arguments.of("PersistentVolume", "/spec/accessModes/0", "'ReadWriteSometimes'", "spec.accessModes", "FieldValueNotSupported",
            "Unsupported value: \"ReadWriteSometimes\""),
        Arguments.of("PersistentVolume", "/spec/persistentVolumeReclaimPolicy", "'Keep'", "spec.persistentVolumeReclaimPolicy",
            "FieldValueNotSupported", "Unsupported value: \"Keep\": supported values: \"Delete\", \"Recycle\", \"Retain\""),
        Arguments.of("PersistentVolume", "/spec/local", "{'path':'/mnt/disk'}", "spec.nodeAffinity", "FieldValueRequired",
            "Required value: Local volume requires node affinity"),
        Arguments.of("StorageClass", "/provisioner", null, "provisioner", "FieldValueRequired", "Required value"),
        Arguments.of("StorageClass", "/volumeBindingMode", "'Later'", "volumeBindingMode", "FieldValueNotSupported",
            "Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\""),
        Arguments.of("Service", "/spec/ports", "[]", "spec.ports", "FieldValueRequired", "Required value"),
        Arguments.of("Service", "/spec/ports/0/port", "0", "spec.ports[0].port", "FieldValueInvalid",
            "Invalid value: 0: must be between 1 and 65535, inclusive"),
        Arguments.of("Service", "/spec/ports/1/name", null, "spec.ports[1].name", "FieldValueRequired", "Required value"),
        Arguments.of("Service", "/spec/ports/1/name", "'http'", "spec.ports[1].name", "FieldValueDuplicate", "Duplicate value: \"http\""),
        Arguments.of("Service", "/spec/ports/1/port", "80", "spec.ports[1]", "FieldValueDuplicate", "Duplicate value: {"),
        Arguments.of("Service", "/spec/type", "'Magic'", "spec.type", "FieldValueNotSupported", "Unsupported value: \"Magic\""),
        Arguments.of("Service", "/spec/clusterIP", "'10.96.0.300'", "spec.clusterIPs[0]", "FieldValueInvalid",
            "Invalid value: \"10.96.0.300\": must be a valid IP address"),
        Arguments.of("Service", "/spec/clusterIP", "'192.168.1.1'", "spec.clusterIPs[0]", "FieldValueInvalid",
            "Invalid value: \"192.168.1.1\": failed to allocate IP 192.168.1.1: the provided IP (192.168.1.1) is not in the valid range"),
        Arguments.of("Service", "/spec/ports/0/targetPort", "70000", "spec.ports[0].targetPort", "FieldValueInvalid",
            "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        Arguments.of("ConfigMap", "/data/bad key", "'x'", "data[bad key]", "FieldValueInvalid",
            "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',"
                + "  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"),
        Arguments.of("ConfigMap", "/binaryData/KEY_2", "'AA=='", "binaryData[KEY_2]", "FieldValueInvalid",
            "Invalid value: \"KEY_2\": duplicate of key present in data"),
        Arguments.of("ConfigMap", "/data/huge", "'" + "x".repeat(1024 * 1024 + 1) + "'", "[]", "FieldValueTooLong",
            "Too long: must have at most 1048576 bytes"),
        Arguments.of("Secret", "/data/password", "'not base64!'", "data[password]", "FieldValueInvalid", "Invalid value: \"<value omitted>\": illegal base64 data"),
        Arguments.of("Secret", "/type", "'kubernetes.io/tls'", "data[tls.crt]", "FieldValueRequired", "Required value"),
        Arguments.of("Node", "/spec/taints/0/effect", "'Sometimes'", "spec.taints[0].effect", "FieldValueNotSupported",
            "Unsupported value: \"Sometimes\": supported values: \"NoExecute\", \"NoSchedule\", \"PreferNoSchedule\""),
        Arguments.of("Lease", "/spec/leaseDurationSeconds", "0", "spec.leaseDurationSeconds", "FieldValueInvalid",
            "Invalid value: 0: must be greater than 0"),
        Arguments.of("PriorityClass", "/value", "2000000000", "value", "FieldValueForbidden",
            "Forbidden: maximum allowed value of a user defined priority is 1000000000"),
        Arguments.of("RuntimeClass", "/handler", "''", "handler", "FieldValueRequired", "Required value"),
        Arguments.of("Ingress", "/spec/rules", null, "spec", "FieldValueInvalid",
            "Invalid value: null: either `defaultBackend` or `rules` must be specified"),
        Arguments.of("Ingress", "/spec/rules/0/http/paths/0/pathType", null, "spec.rules[0].http.paths[0].pathType", "FieldValueRequired",
            "Required value: pathType must be specified"),
        Arguments.of("Ingress", "/spec/rules/0/http/paths/0/pathType", "'Regex'", "spec.rules[0].http.paths[0].pathType",
            "FieldValueNotSupported", "Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""),
        Arguments.of("Ingress", "/spec/rules/0/http/paths/0/path", "'web'", "spec.rules[0].http.paths[0].path", "FieldValueInvalid",
            "Invalid value: \"web\": must be an absolute path"),
        Arguments.of("Ingress", "/spec/rules/0/http/paths/0/backend/service/port", "{}", "spec.rules[0].http.paths[0].backend",
            "FieldValueRequired", "Required value: port name or number is required"),
        Arguments.of("Ingress", "/spec/rules/0/http/paths/0/backend/service", null, "spec.rules[0].http.paths[0].backend",
            "FieldValueInvalid", "Invalid value: \"\": resource or service backend is required"),
        Arguments.of("Ingress", "/spec/rules/0/host", "'10.0.0.1'", "spec.rules[0].host", "FieldValueInvalid",
            "Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address"),
        Arguments.of("IngressClass", "/spec/controller", null, "spec.controller", "FieldValueRequired", "Required value"),
        Arguments.of("EndpointSlice", "/addressType", "'IP'", "addressType", "FieldValueNotSupported",
            "Unsupported value: \"IP\": supported values: \"IPv4\", \"IPv6\", \"FQDN\""),
        Arguments.of("EndpointSlice", "/addressType", null, "addressType", "FieldValueRequired", "Required value"),
        Arguments.of("EndpointSlice", "/endpoints/0/addresses/0", "'10.244.1.300'", "endpoints[0].addresses[0]", "FieldValueInvalid",
            "Invalid value: \"10.244.1.300\": must be a valid IPv4 address"),
        Arguments.of("EndpointSlice", "/endpoints/0/addresses", "[]", "endpoints[0].addresses", "FieldValueRequired",
            "Required value: must contain at least 1 address"),
        Arguments.of("EndpointSlice", "/endpoints/0/nodeName", "'Node_1'", "endpoints[0].nodeName", "FieldValueInvalid",
            "Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain"),
        Arguments.of("EndpointSlice", "/ports/1/name", "'http'", "ports[1].name", "FieldValueDuplicate", "Duplicate value: \"http\""),
        Arguments.of("EndpointSlice", "/ports/0/port", "0", "ports[0].port", "FieldValueInvalid",
            "Invalid value: 0: must be between 1 and 65535, inclusive"),
        Arguments.of("EndpointSlice", "/ports/0/protocol", "'HTTP'", "ports[0].protocol", "FieldValueNotSupported", "Unsupported value: \"HTTP\""),
        Arguments.of("Event", "/involvedObject/namespace", "'other'", "involvedObject.namespace", "FieldValueInvalid",
            "Invalid value: \"other\": does not match event.namespace"),
        Arguments.of("Event", "/metadata/namespace", "'kube-system'", "involvedObject.namespace", "FieldValueInvalid",
            "Invalid value: \"default\": does not match event.namespace"),
        // batch/v1: kube's messages
        Arguments.of("Job", "/spec/template/spec/restartPolicy", "'Always'", "spec.template.spec.restartPolicy", "FieldValueNotSupported",
            "Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\""),
        Arguments.of("Job", "/spec/backoffLimit", "-1", "spec.backoffLimit", "FieldValueInvalid",
            "Invalid value: -1: must be greater than or equal to 0"),
        Arguments.of("Job", "/spec/parallelism", "-2", "spec.parallelism", "FieldValueInvalid", "Invalid value: -2: must be greater than or equal to 0"),
        Arguments.of("Job", "/spec/activeDeadlineSeconds", "-5", "spec.activeDeadlineSeconds", "FieldValueInvalid", "Invalid value: -5"),
        Arguments.of("Job", "/spec/ttlSecondsAfterFinished", "-1", "spec.ttlSecondsAfterFinished", "FieldValueInvalid", "Invalid value: -1"),
        Arguments.of("Job", "/spec/completionMode", "'Sometimes'", "spec.completionMode", "FieldValueNotSupported",
            "Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\""),
        Arguments.of("Job", "/spec/template/metadata/labels/controller-uid", "'other'", "spec.template.metadata.labels[controller-uid]",
            "FieldValueInvalid", "Invalid value: \"other\": must be 'u-1'"),
        Arguments.of("Job", "/spec/selector/matchLabels", "{'batch.kubernetes.io/controller-uid':'other'}", "spec.selector",
            "FieldValueInvalid", "Invalid value: {\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"other\"}}: `selector` not auto-generated"),
        Arguments.of("Job", "/spec/template/metadata/labels/job-name", "'" + "j".repeat(64) + "'", "spec.template.labels",
            "FieldValueInvalid", "Invalid value: \"jjjj"),
        Arguments.of("CronJob", "/spec/schedule", "'*/5 * * *'", "spec.schedule", "FieldValueInvalid",
            "Invalid value: \"*/5 * * *\": expected exactly 5 fields, found 4: [*/5 * * *]"),
        Arguments.of("CronJob", "/spec/schedule", "'61 * * * *'", "spec.schedule", "FieldValueInvalid",
            "Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61"),
        Arguments.of("CronJob", "/spec/schedule", "'0 0 0 * *'", "spec.schedule", "FieldValueInvalid",
            "Invalid value: \"0 0 0 * *\": beginning of range (0) below minimum (1): 0"),
        Arguments.of("CronJob", "/spec/schedule", "'0 0 * * 1-7'", "spec.schedule", "FieldValueInvalid",
            "Invalid value: \"0 0 * * 1-7\": end of range (7) above maximum (6): 1-7"),
        Arguments.of("CronJob", "/spec/schedule", "'0 5-2 * * *'", "spec.schedule", "FieldValueInvalid",
            "Invalid value: \"0 5-2 * * *\": beginning of range (5) beyond end of range (2): 5-2"),
        Arguments.of("CronJob", "/spec/schedule", "'x * * * *'", "spec.schedule", "FieldValueInvalid", "Invalid value: \"x * * * *\": "),
        Arguments.of("CronJob", "/spec/schedule", "'@fortnightly'", "spec.schedule", "FieldValueInvalid",
            "Invalid value: \"@fortnightly\": unrecognized descriptor: @fortnightly"),
        Arguments.of("CronJob", "/spec/schedule", "'@every soon'", "spec.schedule", "FieldValueInvalid",
            "Invalid value: \"@every soon\": failed to parse duration @every soon"),
        Arguments.of("CronJob", "/spec/schedule", null, "spec.schedule", "FieldValueRequired", "Required value"),
        Arguments.of("CronJob", "/spec/schedule", "'TZ=Europe/Berlin 0 * * * *'", "spec.schedule", "FieldValueInvalid",
            "Invalid value: \"TZ=Europe/Berlin 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
        Arguments.of("CronJob", "/spec/timeZone", "'Mars/Olympus'", "spec.timeZone", "FieldValueInvalid",
            "Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus"),
        Arguments.of("CronJob", "/spec/timeZone", "'Local'", "spec.timeZone", "FieldValueInvalid",
            "Invalid value: \"Local\": timeZone must be an explicit time zone"),
        Arguments.of("CronJob", "/spec/concurrencyPolicy", "'Sometimes'", "spec.concurrencyPolicy", "FieldValueNotSupported",
            "Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\""),
        Arguments.of("CronJob", "/spec/startingDeadlineSeconds", "-1", "spec.startingDeadlineSeconds", "FieldValueInvalid",
            "Invalid value: -1: must be greater than or equal to 0"),
        Arguments.of("PodDisruptionBudget", "/spec/maxUnavailable", "1", "spec", "FieldValueInvalid", "Invalid value: "),
        Arguments.of("PodDisruptionBudget", "/spec/minAvailable", "'120%'", "spec.minAvailable", "FieldValueInvalid",
            "Invalid value: \"120%\": must not be greater than 100%"),
        Arguments.of("PodDisruptionBudget", "/spec/minAvailable", "-1", "spec.minAvailable", "FieldValueInvalid",
            "Invalid value: -1: must be greater than or equal to 0"),
        Arguments.of("PodDisruptionBudget", "/spec/unhealthyPodEvictionPolicy", "'Never'", "spec.unhealthyPodEvictionPolicy",
            "FieldValueNotSupported", "Unsupported value: \"Never\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\""),
        Arguments.of("HorizontalPodAutoscaler", "/spec/scaleTargetRef/kind", null, "spec.scaleTargetRef.kind", "FieldValueRequired",
            "Required value"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/scaleTargetRef/name", "'a/b'", "spec.scaleTargetRef.name", "FieldValueInvalid",
            "Invalid value: \"a/b\": may not contain '/'"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/minReplicas", "0", "spec.minReplicas", "FieldValueInvalid",
            "Invalid value: 0: must be greater than or equal to 1"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/maxReplicas", null, "spec.maxReplicas", "FieldValueInvalid",
            "Invalid value: 0: must be greater than 0"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/minReplicas", "6", "spec.maxReplicas", "FieldValueInvalid",
            "Invalid value: 5: must be greater than or equal to `minReplicas`"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/metrics/0/type", "'Bogus'", "spec.metrics[0].type", "FieldValueNotSupported",
            "Unsupported value: \"Bogus\": supported values: \"ContainerResource\", \"External\", \"Object\", \"Pods\", \"Resource\""),
        Arguments.of("HorizontalPodAutoscaler", "/spec/metrics/0/type", "'Pods'", "spec.metrics[0].pods", "FieldValueRequired",
            "Required value: must populate information for the given metric source"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/metrics/0/resource/target/averageUtilization", "0",
            "spec.metrics[0].resource.target.averageUtilization", "FieldValueInvalid", "Invalid value: 0: must be greater than 0"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/metrics/0/resource/target/type", "'Percent'", "spec.metrics[0].resource.target.type",
            "FieldValueInvalid", "Invalid value: \"Percent\": must be either Utilization, Value, or AverageValue"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/metrics/0/resource/target/averageValue", "'100m'",
            "spec.metrics[0].resource.target.averageValue", "FieldValueForbidden",
            "Forbidden: may not set both a target raw value and a target utilization"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/metrics/0/resource/name", null, "spec.metrics[0].resource.name", "FieldValueRequired",
            "Required value: must specify a resource name"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/metrics/1/pods/target/averageValue", "'-1'", "spec.metrics[1].pods.target.averageValue",
            "FieldValueInvalid", "Invalid value: \"-1\": must be positive"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/behavior/scaleDown/stabilizationWindowSeconds", "3601",
            "spec.behavior.scaleDown.stabilizationWindowSeconds", "FieldValueInvalid", "Invalid value: 3601: must be less than or equal to 3600"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/behavior/scaleUp/selectPolicy", "'Most'", "spec.behavior.scaleUp.selectPolicy",
            "FieldValueNotSupported", "Unsupported value: \"Most\": supported values: \"Disabled\", \"Max\", \"Min\""),
        Arguments.of("HorizontalPodAutoscaler", "/spec/behavior/scaleUp/policies", "[]", "spec.behavior.scaleUp.policies",
            "FieldValueRequired", "Required value: must specify at least one Policy"),
        Arguments.of("HorizontalPodAutoscaler", "/spec/behavior/scaleDown/policies/0/periodSeconds", "1801",
            "spec.behavior.scaleDown.policies[0].periodSeconds", "FieldValueInvalid", "Invalid value: 1801: must be less than or equal to 1800"),
        Arguments.of("CronJob", "/metadata/name", "'" + "c".repeat(53) + "'", "metadata.name", "FieldValueInvalid",
            "Invalid value: \"" + "c".repeat(53) + "\": must be no more than 52 characters"),
        Arguments.of("CronJob", "/spec/jobTemplate/spec/template/spec/restartPolicy", "'Always'",
            "spec.jobTemplate.spec.template.spec.restartPolicy", "FieldValueNotSupported", "Unsupported value: \"Always\""),
        Arguments.of("CronJob", "/spec/jobTemplate/spec/selector", "{'matchLabels':{'a':'b'}}", "spec.jobTemplate.spec.selector",
            "FieldValueInvalid", "Invalid value: {\"matchLabels\":{\"a\":\"b\"}}: `selector` will be auto-generated"),
        Arguments.of("CronJob", "/spec/jobTemplate/spec/backoffLimit", "-1", "spec.jobTemplate.spec.backoffLimit", "FieldValueInvalid",
            "Invalid value: -1"));
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly",
      "@annually", "@every 1h30m", "@every 0s", "0 9 * * mon-fri", "0 0 ? * *", "*/15 0-6 1,15 JAN-MAR *", "5 4 * * SUN", "0 0 1 1 *",
      "30/10 * * * *", "0 0 1-31/2 * 0-6", "0 12 * 12 sat"})
  void standardCronSchedulesPass(String schedule) {
    ObjectNode cj = valid("CronJob");
    ((ObjectNode) cj.get("spec")).put("schedule", schedule);
    assertThatCode(() -> Validator.validate(type("CronJob"), cj, null)).doesNotThrowAnyException();
  }

  @Test
  void cronJobTimeZonesAreIanaNames() {
    for (String zone : List.of("Etc/UTC", "UTC", "Europe/Berlin", "America/New_York")) {
      ObjectNode cj = valid("CronJob");
      ((ObjectNode) cj.get("spec")).put("timeZone", zone);
      assertThatCode(() -> Validator.validate(type("CronJob"), cj, null)).as(zone).doesNotThrowAnyException();
    }
  }

  @Test
  void indexedJobsNeedCompletionsAndManualSelectorsMustMatch() {
    ObjectNode indexed = valid("Job");
    set(indexed, "/spec/completionMode", "'Indexed'");
    set(indexed, "/spec/completions", null);
    assertThat(validationError("Job", indexed, null).getMessage())
        .contains("spec.completions: Required value: when completion mode is Indexed");
    // manualSelector: the user's selector, which must select the template's labels
    ObjectNode manual = json("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'m','namespace':'default','uid':'u-2'},"
        + "'spec':{'manualSelector':true,'selector':{'matchLabels':{'app':'m'}},'template':{'metadata':{'labels':{'app':'m'}},"
        + "'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'busybox'}]}}}}");
    Defaulter.generateJobSelector(manual);
    Defaulter.applyDefaults(type("Job"), manual);
    assertThat(manual.at("/spec/selector")).isEqualTo(json("{'matchLabels':{'app':'m'}}"));
    assertThatCode(() -> Validator.validate(type("Job"), manual, null)).doesNotThrowAnyException();
    set(manual, "/spec/template/metadata/labels", "{'app':'other'}");
    assertThat(validationError("Job", manual, null).getMessage())
        .contains("spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`");
    set(manual, "/spec/selector", null);
    assertThat(validationError("Job", manual, null).getMessage()).contains("spec.selector: Required value");
  }

  @Test
  void jobUpdatesMayChangeSuspendAndCountsButNotThePods() {
    ObjectNode old = valid("Job");
    ObjectNode updated = old.deepCopy();
    set(updated, "/spec/suspend", "true");
    set(updated, "/spec/backoffLimit", "2");
    set(updated, "/spec/parallelism", "3");
    assertThatCode(() -> Validator.validate(type("Job"), updated, old)).doesNotThrowAnyException();
    ObjectNode cj = valid("CronJob");
    ObjectNode cjUpdated = cj.deepCopy();
    set(cjUpdated, "/spec/schedule", "'@daily'");
    set(cjUpdated, "/spec/jobTemplate/spec/template/spec/containers/0/image", "'busybox:2'");
    assertThatCode(() -> Validator.validate(type("CronJob"), cjUpdated, cj)).doesNotThrowAnyException();
  }

  @ParameterizedTest(name = "{0} {1}={2} -> {3}")
  @MethodSource("invalidObjects")
  void invalidObject(String kind, String pointer, String value, String field, String reason, String message) {
    ObjectNode obj = valid(kind);
    set(obj, pointer, value);
    StatusException e = validationError(kind, obj, null);
    assertThat(e.code()).isEqualTo(422);
    assertThat(e.reason()).isEqualTo("Invalid");
    assertThat(e.causes()).as(e.getMessage()).extracting(Cause::field).contains(field);
    Cause c = e.causes().stream().filter(x -> x.field().equals(field)).findFirst().orElseThrow();
    if (reason != null) assertThat(c.reason()).isEqualTo(reason);
    if (message != null) assertThat(c.message()).startsWith(message);
    assertThat(e.getMessage()).contains(field + ": " + c.message());
  }

  static Stream<Arguments> invalidPerIndexLimits() {
    return Stream.of(
        // a patch on an Indexed Job with completions 3 and backoffLimitPerIndex 1 -> field, kube's message
        Arguments.of("/spec/completionMode", "'NonIndexed'", "spec.backoffLimitPerIndex", "Invalid value: 1: requires indexed completion mode"),
        Arguments.of("/spec/backoffLimitPerIndex", null, "spec.backoffLimitPerIndex", "Required value: when maxFailedIndexes is specified"),
        Arguments.of("/spec/maxFailedIndexes", "4", "spec.maxFailedIndexes", "Invalid value: 4: must be less than or equal to completions"),
        Arguments.of("/spec/backoffLimitPerIndex", "-1", "spec.backoffLimitPerIndex", "Invalid value: -1: must be greater than or equal to 0"),
        Arguments.of("/spec/podFailurePolicy/rules/0/action", "'Retry'", "spec.podFailurePolicy.rules[0].action",
            "Unsupported value: \"Retry\": supported values: \"Count\", \"FailIndex\", \"FailJob\", \"Ignore\""));
  }

  /** An Indexed Job using backoffLimitPerIndex, maxFailedIndexes and a FailIndex rule. */
  static ObjectNode perIndexJob() {
    ObjectNode job = valid("Job");
    set(job, "/spec/completionMode", "'Indexed'");
    set(job, "/spec/completions", "3");
    set(job, "/spec/backoffLimitPerIndex", "1");
    set(job, "/spec/maxFailedIndexes", "1");
    set(job, "/spec/podFailurePolicy", "{'rules':[{'action':'FailIndex','onExitCodes':{'operator':'In','values':[42]}}]}");
    return job;
  }

  @ParameterizedTest(name = "{0}={1} -> {2}")
  @MethodSource("invalidPerIndexLimits")
  void perIndexLimitsAreValidatedWithKubesMessages(String pointer, String value, String field, String message) {
    assertThatCode(() -> Validator.validate(type("Job"), perIndexJob(), null)).doesNotThrowAnyException();
    ObjectNode job = perIndexJob();
    set(job, pointer, value);
    StatusException e = validationError("Job", job, null);
    assertThat(e.code()).isEqualTo(422);
    assertThat(e.causes()).as(e.getMessage()).extracting(Cause::field).contains(field);
    assertThat(e.causes().stream().filter(c -> c.field().equals(field)).map(Cause::message)).anyMatch(m -> m.startsWith(message));
  }

  @Test
  void aFailIndexRuleNeedsBackoffLimitPerIndexAndManyCompletionsNeedMaxFailedIndexes() {
    ObjectNode job = perIndexJob();
    set(job, "/spec/maxFailedIndexes", null);
    set(job, "/spec/backoffLimitPerIndex", null);
    StatusException e = validationError("Job", job, null);
    assertThat(e.getMessage()).contains("spec.podFailurePolicy.rules[0].action: Invalid value: \"FailIndex\": requires the backoffLimitPerIndex to be set");

    ObjectNode big = perIndexJob();
    set(big, "/spec/completions", "200000");
    set(big, "/spec/parallelism", "20000");
    set(big, "/spec/maxFailedIndexes", null);
    e = validationError("Job", big, null);
    assertThat(e.getMessage())
        .contains("spec.maxFailedIndexes: Required value: must be specified when completions is above 100000")
        .contains("spec.parallelism: Invalid value: 20000: must be less than or equal to 10000 when completions are above 100000 and used with backoff limit per index");
  }

  static void set(ObjectNode obj, String pointer, String value) {
    int slash = pointer.lastIndexOf('/');
    var parent = obj.at(pointer.substring(0, slash));
    String last = pointer.substring(slash + 1);
    if (parent.isArray()) {
      var arr = (tools.jackson.databind.node.ArrayNode) parent;
      int i = Integer.parseInt(last);
      if (value == null) arr.remove(i);
      else if (i < arr.size()) arr.set(i, JSON.readTree(value.replace('\'', '"')));
      else arr.add(JSON.readTree(value.replace('\'', '"')));
    } else {
      ObjectNode p = (ObjectNode) parent;
      if (value == null) p.remove(last);
      else p.set(last, JSON.readTree(value.replace('\'', '"')));
    }
  }

  static StatusException validationError(String kind, ObjectNode obj, ObjectNode old) {
    try {
      Validator.validate(type(kind), obj, old);
    } catch (StatusException e) {
      return e;
    }
    throw new AssertionError("expected " + kind + " to be invalid: " + obj);
  }

  @Test
  void allProblemsAreReportedTogether() {
    ObjectNode d = valid("Deployment");
    set(d, "/metadata/name", "'Bad_Name'");
    set(d, "/spec/replicas", "-3");
    set(d, "/spec/template/spec/containers/0/image", null);
    StatusException e = validationError("Deployment", d, null);
    assertThat(e.causes()).extracting(Cause::field)
        .containsExactly("metadata.name", "spec.replicas", "spec.template.spec.containers[0].image");
    assertThat(e.getMessage()).startsWith("Deployment.apps \"Bad_Name\" is invalid: [metadata.name: Invalid value: \"Bad_Name\": ");
  }

  static Stream<Arguments> invalidUpdates() {
    return Stream.of(
        Arguments.of("Deployment", "/spec/selector/matchLabels/app", "'other'", "spec.selector", "Invalid value: {\"matchLabels\":{\"app\":\"other\"}}: field is immutable"),
        Arguments.of("ReplicaSet", "/spec/selector/matchExpressions/0/values/0", "'x'", "spec.selector", null),
        Arguments.of("DaemonSet", "/spec/selector/matchLabels/app", "'x'", "spec.selector", null),
        Arguments.of("StatefulSet", "/spec/serviceName", "'other'", "spec", "Forbidden: updates to statefulset spec for fields other than "
            + "'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"),
        Arguments.of("StatefulSet", "/spec/podManagementPolicy", "'Parallel'", "spec", "Forbidden: updates to statefulset spec"),
        Arguments.of("Pod", "/spec/containers/0/ports/0/containerPort", "81", "spec", "Forbidden: pod updates may not change fields other than"),
        Arguments.of("Pod", "/spec/tolerations/0", "{'key':'other','operator':'Exists'}", "spec.tolerations", null),
        Arguments.of("Service", "/spec/clusterIP", "'10.96.0.99'", "spec.clusterIPs[0]", "Invalid value: \"10.96.0.99\": may not change once set"),
        Arguments.of("Secret", "/type", "'kubernetes.io/basic-auth'", "type", null),
        Arguments.of("Pod", "/metadata/uid", "'changed'", "metadata.uid", "Invalid value: \"changed\": field is immutable"),
        Arguments.of("ConfigMap", "/metadata/name", "'other'", "metadata.name", "Invalid value: \"other\": field is immutable"),
        Arguments.of("PriorityClass", "/value", "5", "value", null),
        Arguments.of("RuntimeClass", "/handler", "'runc'", "handler", null),
        Arguments.of("IngressClass", "/spec/controller", "'example.com/other'", "spec.controller",
            "Invalid value: \"example.com/other\": field is immutable"),
        Arguments.of("PersistentVolumeClaim", "/spec/accessModes/0", "'ReadWriteMany'", "spec", "Forbidden: spec is immutable after "
            + "creation except resources.requests and volumeAttributesClassName for bound claims"),
        Arguments.of("PersistentVolumeClaim", "/spec/resources/requests/storage", "'512Mi'", "spec.resources.requests.storage",
            "Forbidden: field can not be less than previous value"),
        Arguments.of("PersistentVolume", "/spec/hostPath/path", "'/elsewhere'", "spec.persistentvolumesource",
            "Forbidden: spec.persistentvolumesource is immutable after creation"),
        Arguments.of("StorageClass", "/provisioner", "'example.com/nfs'", "provisioner", "Forbidden: updates to provisioner are forbidden."),
        Arguments.of("EndpointSlice", "/addressType", "'IPv6'", "addressType", "Invalid value: \"IPv6\": field is immutable"),
        Arguments.of("Job", "/spec/template/spec/containers/0/image", "'busybox:2'", "spec.template", null),
        Arguments.of("Job", "/spec/completionMode", "'Indexed'", "spec.completionMode", "Invalid value: \"Indexed\": field is immutable"),
        Arguments.of("Job", "/spec/completions", "3", "spec.completions", "Invalid value: 3: field is immutable"),
        Arguments.of("Job", "/spec/selector/matchLabels", "{'batch.kubernetes.io/controller-uid':'1234'}", "spec.selector",
            "Invalid value: {\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"1234\"}}: field is immutable"));
  }

  @ParameterizedTest(name = "{0} {1} -> {3}")
  @MethodSource("invalidUpdates")
  void immutableFields(String kind, String pointer, String value, String field, String message) {
    ObjectNode old = valid(kind);
    ((ObjectNode) old.get("metadata")).put("uid", "1234");
    ObjectNode updated = old.deepCopy();
    set(updated, pointer, value);
    StatusException e = validationError(kind, updated, old);
    assertThat(e.causes()).as(e.getMessage()).extracting(Cause::field).contains(field);
    if (message != null) {
      assertThat(e.causes().stream().filter(c -> c.field().equals(field)).findFirst().orElseThrow().message()).startsWith(message);
    }
  }

  @Test
  void claimsMayGrowAndBeBoundButNothingElse() {
    ObjectNode old = valid("PersistentVolumeClaim");
    ObjectNode updated = old.deepCopy();
    set(updated, "/spec/resources/requests/storage", "'2Gi'");
    set(updated, "/spec/volumeName", "'pvc-1234'");
    assertThatCode(() -> Validator.validate(type("PersistentVolumeClaim"), updated, old)).doesNotThrowAnyException();
    ObjectNode sts = valid("StatefulSet");
    set(sts, "/spec/volumeClaimTemplates", "[{'metadata':{'name':'data'},'spec':{'accessModes':['ReadWriteOnce'],"
        + "'resources':{'requests':{'storage':'1Gi'}}}}]");
    set(sts, "/spec/template/spec/containers/0/volumeMounts", "[{'name':'data','mountPath':'/data'}]");
    assertThatCode(() -> Validator.validate(type("StatefulSet"), sts, null)).doesNotThrowAnyException();
  }

  @Test
  void statefulSetUpdatesMayScaleAndChangeTheTemplate() {
    ObjectNode old = valid("StatefulSet");
    ObjectNode updated = old.deepCopy();
    set(updated, "/spec/replicas", "5");
    set(updated, "/spec/template/spec/containers/0/image", "'busybox:2'");
    set(updated, "/spec/updateStrategy", "{'type':'RollingUpdate','rollingUpdate':{'partition':2}}");
    set(updated, "/spec/minReadySeconds", "3");
    assertThatCode(() -> Validator.validate(type("StatefulSet"), updated, old)).doesNotThrowAnyException();
  }

  @Test
  void allowedPodUpdates() {
    ObjectNode old = valid("Pod");
    ObjectNode updated = old.deepCopy();
    set(updated, "/spec/containers/0/image", "'nginx:1.26'");
    set(updated, "/spec/activeDeadlineSeconds", "30");
    set(updated, "/spec/tolerations/2", "{'key':'extra','operator':'Exists'}");
    set(updated, "/spec/nodeName", "'node-1'");
    set(updated, "/metadata/labels/new", "'label'");
    set(updated, "/status", "{'phase':'Running'}");
    assertThatCode(() -> Validator.validate(type("Pod"), updated, old)).doesNotThrowAnyException();
  }

  @Test
  void ephemeralContainersAreOnlyEverAddedToRunningPods() {
    ObjectNode created = valid("Pod");
    set(created, "/spec/ephemeralContainers", "[{'name':'debugger','image':'busybox'}]");
    assertThat(validationError("Pod", created, null).causes())
        .containsExactly(new Cause("FieldValueForbidden", "Forbidden: cannot be set on create", "spec.ephemeralContainers"));

    ObjectNode old = valid("Pod");
    ObjectNode added = old.deepCopy();
    set(added, "/spec/ephemeralContainers", "[{'name':'debugger','image':'busybox','stdin':true,'tty':true,'targetContainerName':'web'}]");
    assertThatCode(() -> Validator.validate(type("Pod"), added, old)).doesNotThrowAnyException();

    ObjectNode second = added.deepCopy();
    set(second, "/spec/ephemeralContainers/1", "{'name':'debugger-2','image':'busybox'}");
    assertThatCode(() -> Validator.validate(type("Pod"), second, added)).doesNotThrowAnyException();

    ObjectNode removed = added.deepCopy();
    set(removed, "/spec/ephemeralContainers", "[]");
    assertThat(validationError("Pod", removed, added).causes()).containsExactly(new Cause("FieldValueForbidden",
        "Forbidden: existing ephemeral containers \"debugger\" may not be removed", "spec.ephemeralContainers"));
    ObjectNode changed = added.deepCopy();
    set(changed, "/spec/ephemeralContainers/0/image", "'alpine'");
    assertThat(validationError("Pod", changed, added).causes()).extracting(Cause::field)
        .containsExactly("spec.ephemeralContainers[debugger]");

    ObjectNode bad = old.deepCopy();
    set(bad, "/spec/ephemeralContainers", "[{'name':'web','image':'busybox','ports':[{'containerPort':80}],"
        + "'resources':{'limits':{'cpu':'1'}},'readinessProbe':{'exec':{'command':['true']}},'targetContainerName':'nope'}]");
    assertThat(validationError("Pod", bad, old).causes()).extracting(Cause::field).containsExactlyInAnyOrder(
        "spec.ephemeralContainers[0].name", "spec.ephemeralContainers[0].ports", "spec.ephemeralContainers[0].resources",
        "spec.ephemeralContainers[0].readinessProbe", "spec.ephemeralContainers[0].targetContainerName");

    ObjectNode template = valid("Deployment");
    set(template, "/spec/template/spec/ephemeralContainers", "[{'name':'debugger','image':'busybox'}]");
    assertThat(validationError("Deployment", template, null).causes()).extracting(Cause::field)
        .containsExactly("spec.template.spec.ephemeralContainers");
  }

  @Test
  void immutableConfigMapAndSecret() {
    ObjectNode old = valid("ConfigMap");
    old.put("immutable", true);
    ObjectNode changed = old.deepCopy();
    set(changed, "/data/new", "'x'");
    StatusException e = validationError("ConfigMap", changed, old);
    assertThat(e.causes()).containsExactly(new Cause("FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", "data"));
    ObjectNode unset = old.deepCopy();
    unset.put("immutable", false);
    assertThat(validationError("ConfigMap", unset, old).causes()).extracting(Cause::field).containsExactly("immutable");
    ObjectNode metaOnly = old.deepCopy();
    set(metaOnly, "/metadata/labels", "{'a':'b'}");
    assertThatCode(() -> Validator.validate(type("ConfigMap"), metaOnly, old)).doesNotThrowAnyException();
    ObjectNode secret = valid("Secret");
    secret.put("immutable", true);
    ObjectNode secretChanged = secret.deepCopy();
    set(secretChanged, "/data/password", "'eA=='");
    assertThat(validationError("Secret", secretChanged, secret).causes()).extracting(Cause::field).containsExactly("data");
  }

  @Test
  void endpointSliceAddressesFollowTheirType() {
    ObjectNode v6 = valid("EndpointSlice");
    set(v6, "/addressType", "'IPv6'");
    set(v6, "/endpoints/0/addresses/0", "'fd00:10:244::5'");
    assertThatCode(() -> Validator.validate(type("EndpointSlice"), v6, null)).doesNotThrowAnyException();
    set(v6, "/endpoints/0/addresses/0", "'10.244.1.5'");
    assertThat(validationError("EndpointSlice", v6, null).getMessage())
        .contains("endpoints[0].addresses[0]: Invalid value: \"10.244.1.5\": must be a valid IPv6 address");
    ObjectNode fqdn = valid("EndpointSlice");
    set(fqdn, "/addressType", "'FQDN'");
    set(fqdn, "/endpoints/0/addresses/0", "'db.example.com'");
    assertThatCode(() -> Validator.validate(type("EndpointSlice"), fqdn, null)).doesNotThrowAnyException();
    ObjectNode many = valid("EndpointSlice");
    for (int i = 1; i <= 1000; i++) set(many, "/endpoints/" + i, "{'addresses':['10.1." + (i / 250) + "." + (i % 250) + "']}");
    assertThat(validationError("EndpointSlice", many, null).causes()).extracting(Cause::message)
        .containsExactly("Too many: 1001: must have at most 1000 items");
  }

  @Test
  void eventsAboutClusterScopedObjectsLiveInDefaultOrWithAnEventTimeInKubeSystem() {
    ObjectNode node = valid("Event");
    set(node, "/involvedObject", "{'kind':'Node','name':'node-1'}");
    assertThatCode(() -> Validator.validate(type("Event"), node, null)).doesNotThrowAnyException();
    set(node, "/metadata/namespace", "'kube-system'");
    assertThat(validationError("Event", node, null).getMessage())
        .contains("involvedObject.namespace: Invalid value: \"\": does not match event.namespace");
    set(node, "/eventTime", "'2026-11-28T10:00:00.000000Z'");
    assertThatCode(() -> Validator.validate(type("Event"), node, null)).doesNotThrowAnyException();
  }

  @Test
  void headlessAndExternalNameServices() {
    ObjectNode headless = valid("Service");
    set(headless, "/spec/clusterIP", "'None'");
    set(headless, "/spec/ports", "[]");
    assertThatCode(() -> Validator.validate(type("Service"), headless, null)).doesNotThrowAnyException();
    ObjectNode ext = json("{'metadata':{'name':'db'},'spec':{'type':'ExternalName'}}");
    assertThat(validationError("Service", ext, null).causes()).extracting(Cause::field).containsExactly("spec.externalName");
  }

  @Test
  void quantities() {
    assertThat(Quantities.parse("100m")).isEqualByComparingTo("0.1");
    assertThat(Quantities.parse("1Gi")).isEqualByComparingTo("1073741824");
    assertThat(Quantities.parse("1.5")).isEqualByComparingTo("1.5");
    assertThat(Quantities.parse("1e3")).isEqualByComparingTo("1000");
    assertThat(Quantities.parse("2k")).isEqualByComparingTo("2000");
    assertThat(Quantities.parse("+5M")).isEqualByComparingTo("5000000");
    for (String bad : List.of("", "abc", "1.5.2", "1Gb", "Mi", "1 Gi", "1e")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Quantities.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
