# Included from the root CMakeLists.txt once the canaryd_http library (metrics/ and detector/http/)
# exists. Only prometheus-cpp's core (registry + text serializer) is linked: /metrics is served by
# our own Beast listener, so its civetweb pull exposer is not wanted. OpenSSL's libcrypto signs
# webhook bodies (HMAC-SHA256).
find_package(prometheus-cpp CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
target_link_libraries(canaryd_http PUBLIC prometheus-cpp::core OpenSSL::Crypto)
