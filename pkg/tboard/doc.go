// Package tboard writes and reads TensorBoard event files in pure Go: scalars,
// histograms and the records of TensorBoard's HParams tab.
//
// No generated protobuf code is used. The few messages TensorBoard needs are
// encoded and decoded by hand with google.golang.org/protobuf/encoding/protowire,
// following these protos (field numbers in brackets):
//
//   - tensorflow/core/util/event.proto: Event{wall_time [1] double, step [2]
//     int64, file_version [3] string, summary [5] Summary}.
//   - tensorflow/core/framework/summary.proto: Summary{value [1] repeated
//     Value}; Summary.Value{tag [1], simple_value [2] float, histo [5]
//     HistogramProto, tensor [8] TensorProto, metadata [9] SummaryMetadata};
//     HistogramProto{min [1], max [2], num [3], sum [4], sum_squares [5],
//     bucket_limit [6] and bucket [7] packed repeated double};
//     SummaryMetadata{plugin_data [1] PluginData{plugin_name [1], content [2]
//     bytes}, display_name [2], summary_description [3], data_class [4]}.
//   - tensorflow/core/framework/tensor.proto and tensor_shape.proto:
//     TensorProto{dtype [1], tensor_shape [2]}; TensorShapeProto{dim [2]
//     repeated Dim{size [1]}}.
//   - tensorboard/plugins/hparams/plugin_data.proto and api.proto:
//     HParamsPluginData{version [1], experiment [2], session_start_info [3],
//     session_end_info [4]}; SessionStartInfo{hparams [1] map<string, Value>,
//     model_uri [2], monitor_url [3], group_name [4], start_time_secs [5]}; SessionEndInfo{status [1],
//     end_time_secs [2]}; Experiment{description [1], user [2],
//     time_created_secs [3], hparam_infos [4], metric_infos [5], name [6]};
//     HParamInfo{name [1], display_name [2], description [3], type [4],
//     domain_discrete [5] ListValue, domain_interval [6] Interval{min_value
//     [1], max_value [2]}}; MetricInfo{name [1] MetricName{group [1], tag
//     [2]}, display_name [3], description [4], dataset_type [5]}.
//   - google/protobuf/struct.proto: Value{null_value [1], number_value [2],
//     string_value [3], bool_value [4], list_value [6]}; ListValue{values [1]}.
//
// Fields are written in field-number order and proto3 defaults (zero numbers,
// empty strings) are left out, except inside a oneof, where a set field is
// always written; the output is byte for byte what the C++ protobuf library
// serializes for the same messages (the golden test checks this against
// python3-protobuf).
//
// # File format
//
// A file is named events.out.tfevents.<unix seconds>.<hostname> (TensorBoard
// only reads files whose name contains "tfevents") and is a sequence of
// TFRecords, each
//
//	uint64 little-endian  length n of the data
//	uint32 little-endian  masked CRC32C of the 8 length bytes
//	n bytes               data: one serialized Event
//	uint32 little-endian  masked CRC32C of the data
//
// where CRC32C is the Castagnoli CRC and mask(c) = ((c >> 15) | (c << 17)) +
// 0xa282ead8 in uint32 arithmetic. The first record is an Event with the file
// creation time and file_version "brain.Event:2".
//
// Scalars are written the classic way, as Summary.Value.simple_value (a
// float32); histograms as Summary.Value.histo. TensorBoard converts both to its
// scalar and histogram plugins when it loads them.
//
// # HParams
//
// The HParams tab reads three summaries, each a Summary.Value whose metadata
// names the plugin "hparams" and carries a serialized HParamsPluginData
// (version 0), with the tensor TensorBoard itself writes for them (an empty
// float vector, dtype DT_FLOAT and shape [0]):
//
//	_hparams_/experiment          Experiment: the hyperparameters and metrics
//	_hparams_/session_start_info  SessionStartInfo: this run's values
//	_hparams_/session_end_info    SessionEndInfo: this run's status
//
// The experiment is usually written once, in the parent directory of the runs
// (TensorBoard's "empty run") or in each run; a run's metric values are
// ordinary scalars whose tags the experiment's MetricInfo entries name.
//
// # Reading
//
// ReadFile decodes a whole file, checking both CRCs of every record. A
// truncated or corrupted file gives a *FormatError with the record index and
// byte offset. It decodes the fields this package writes and skips others, so
// it is meant for tests and tools, not as a general TensorBoard reader.
package tboard
