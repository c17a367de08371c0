# villagesync_generate_protos(TARGET <target> PROTOS <file.proto>... [GRPC])
#
# Runs protoc on each .proto (paths relative to the current source dir) with
# the repository root as the only import root, so a file at proto/x.proto
# generates ${PROJECT_BINARY_DIR}/proto/x.pb.{h,cc} and is included as
# "proto/x.pb.h" everywhere. With GRPC, generates only the service stubs
# (.grpc.pb files); the messages come from a plain call for the same file.
function(villagesync_generate_protos)
  cmake_parse_arguments(ARG "GRPC" "TARGET" "PROTOS" ${ARGN})
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${abs})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    if(ARG_GRPC)
      set(outputs ${PROJECT_BINARY_DIR}/${stem}.grpc.pb.h
                  ${PROJECT_BINARY_DIR}/${stem}.grpc.pb.cc)
      set(out_args
        --grpc_out=${PROJECT_BINARY_DIR}
        --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    else()
      set(outputs ${PROJECT_BINARY_DIR}/${stem}.pb.h ${PROJECT_BINARY_DIR}/${stem}.pb.cc)
      set(out_args --cpp_out=${PROJECT_BINARY_DIR})
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc
      ARGS -I ${PROJECT_SOURCE_DIR} ${out_args} ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}"
      VERBATIM)
    target_sources(${ARG_TARGET} PRIVATE ${outputs})
  endforeach()
endfunction()
